// The GATT identifiers of a JBD BMS: service FF00 (notify FF01, write FF02) or the FFF0 variant
// (FFF1, FFF2). Made on first use, at run time: uuid`` builds a Bytes, whose methods are native,
// and the linker cannot call a native function while it preloads the modules ("link: unavailable
// function"), so a module-level uuid`` makes the device build fail.
import { uuid, type Bytes } from "btutils";

export interface GattIds {
  readonly services: readonly Bytes[];
  readonly notify: readonly Bytes[];
  readonly write: readonly Bytes[];
}

// a plain object: preloaded, it is aliased into RAM on its first write (a Map would be read-only)
const made: { ids?: GattIds } = {};

export function gattIds(): GattIds {
  return made.ids ??= {
    services: [uuid`FF00`, uuid`FFF0`],
    notify: [uuid`FF01`, uuid`FFF1`],
    write: [uuid`FF02`, uuid`FFF2`],
  };
}

/** `id` is one of `ids` (Bytes.equals). */
export function isOneOf(ids: readonly Bytes[], id: Bytes): boolean {
  for (let i = 0; i < ids.length; i++) if (ids[i].equals(id)) return true;
  return false;
}
