// What the gateway remembers of its Home Assistant discovery across reboots (NVS, through a port):
// which BMS it has announced, so that one that left the configuration is removed from HA and its
// topics cleared, and which devices were already moved from per-entity to device-based discovery
// (that migration runs once per device). Written only when something changed.

export interface DiscoveryStore {
  get(key: string): string | undefined;
  set(key: string, value: string): void;
}

const ANNOUNCED = "announced";
const MIGRATED = "migrated";
/** NVS strings are < 4000 bytes; a few dozen ids are far below. */
const MAX_LIST = 3000;

function list(text: string | undefined): string[] {
  return text ? text.split(",").filter((item) => item.length > 0) : [];
}

export class DiscoveryMemory {
  constructor(private readonly store: DiscoveryStore | undefined) {}

  /** The BMS ids announced before (by this or an earlier boot). */
  announced(): string[] { return this.read(ANNOUNCED); }

  setAnnounced(ids: readonly string[]): void {
    const now = this.announced();
    if (now.length === ids.length && ids.every((id) => now.includes(id))) return;
    this.write(ANNOUNCED, ids.join(","));
  }

  /** Without a store (tests, a build without flash) every device counts as migrated: nothing to hand over. */
  migrated(node: string): boolean { return !this.store || this.read(MIGRATED).includes(node); }

  markMigrated(node: string): void {
    const nodes = this.read(MIGRATED);
    if (nodes.includes(node)) return;
    nodes.push(node);
    this.write(MIGRATED, nodes.join(","));
  }

  private read(key: string): string[] {
    try { return list(this.store?.get(key)); } catch { return []; }
  }

  private write(key: string, value: string): void {
    if (!this.store || value.length > MAX_LIST) return;
    try { this.store.set(key, value); } catch { /* flash full or failing: the next boot repeats the work */ }
  }
}
