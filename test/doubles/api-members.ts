// The members a double's API is made of, for code that wraps them all (meter-zone's zoned(), the
// preload's refusal of native calls): a class's or object's own methods and accessors, and for a
// class its prototype's; constructors, names and the firmware's callbacks (`on...`) left out.
// Members that cannot be redefined (frozen prototypes, btutils) are skipped.
export function* apiMembers(target: object): Generator<[owner: object, key: string, descriptor: PropertyDescriptor]> {
  const owners: object[] = [target];
  const prototype = typeof target === "function" ? (target as { prototype?: object }).prototype : undefined;
  if (prototype) owners.push(prototype);
  for (const owner of owners) {
    for (const key of Object.getOwnPropertyNames(owner)) {
      if (key === "constructor" || key === "prototype" || key === "length" || key === "name" || /^on[A-Z]/.test(key)) continue;
      const d = Object.getOwnPropertyDescriptor(owner, key)!;
      if (d.configurable && (typeof d.value === "function" || d.get || d.set)) yield [owner, key, d];
    }
  }
}
