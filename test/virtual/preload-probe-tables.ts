// Module-level collections, as a preloaded module of the firmware would make them (preload-probe).
export const table = new Map<string, number>([["a", 1]]);
export const names = new Set<string>(["x"]);
export const weak = new WeakMap<object, number>();
export const plain: Record<string, number> = { a: 1 };
export const list: number[] = [1];
