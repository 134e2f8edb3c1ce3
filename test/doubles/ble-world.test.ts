// The NimBLE side of the virtual device on its own: what the radio reports and when, for the
// behaviours the bleclient double relies on (test/virtual/ble-world.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import { VirtualClock } from "../sim/clock";
import { SimulatedBms } from "../sim/bms";
import { BleWorld, addressToWire } from "../virtual/ble-world";

function world() {
  const clock = new VirtualClock();
  const events: [string, ...unknown[]][] = [];
  let seed = 3;
  const random = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
  const w = new BleWorld(clock, (kind, ...args) => events.push([kind, ...args]), random);
  const bms = w.add({ address: "D4:C1:38:00:00:01", name: "SP04S034", sim: new SimulatedBms(clock, { seed: 1 }), addressType: 1 });
  w.handle("ble.init", []);
  clock.runUntil(100);
  return { clock, events, w, bms, kinds: () => events.map((e) => e[0]) };
}
const SCAN = (active = true): [string, unknown[]] => ["ble.scan", [true, active, false, 0x30, 0x30]];

test("active scanning: the advertisement (flags, FF00) and the scan response (name) are separate reports, with the address type", () => {
  const { clock, events, w } = world();
  events.length = 0;
  w.handle(...SCAN());
  clock.runUntil(1_000);
  const reports = events.filter((e) => e[0] === "ble.discovered");
  assert.equal(reports.length, 2, "duplicates off: each packet once");
  assert.deepEqual(reports.map((r) => r[2]), [1, 1]);
  assert.match(String(reports[0][4]), /^020106030300ff$/);
  assert.match(Buffer.from(String(reports[1][4]), "hex").toString("latin1"), /SP04S034/);
  w.handle("ble.scan", [false]);
  events.length = 0;
  w.handle(...SCAN(false));
  clock.runUntil(2_000);
  assert.equal(events.filter((e) => e[0] === "ble.discovered").length, 1, "passive: no scan response");
});

test("a connect with the wrong address type never reaches the device; NimBLE then refuses to scan", () => {
  const { clock, events, w, bms } = world();
  events.length = 0;
  w.handle("ble.connect", [addressToWire(bms.address), 0]);
  clock.runUntil(60_000);
  assert.deepEqual(events, [], "no connect event, ever");
  assert.ok(w.pendingConnect);
  assert.equal(w.call("ble.connActive", []), true);
  w.handle(...SCAN());
  clock.runUntil(70_000);
  assert.equal(events.length, 0, "ble_gap_disc is refused while a connect is pending");
});

test("the right type connects; a failed connect reports status != 0; a host reset ends links with one reset event", () => {
  const { clock, events, w, bms } = world();
  w.handle("ble.connect", [addressToWire(bms.address), 1]);
  clock.runUntil(1_000);
  assert.deepEqual(events.at(-1)!.slice(0, 2), ["ble.connectEvent", 0]);
  assert.ok(bms.connection);
  w.handle("ble.disconnect", [bms.connection]);
  clock.runUntil(2_000);
  assert.equal(events.at(-1)![0], "ble.disconnected");
  w.failConnects = 1;
  w.handle("ble.connect", [addressToWire(bms.address), 1]);
  clock.runUntil(3_000);
  assert.deepEqual(events.at(-1)!.slice(0, 3), ["ble.connectEvent", 0x3e, 0xffff]);
  w.handle("ble.connect", [addressToWire(bms.address), 1]);
  clock.runUntil(4_000);
  events.length = 0;
  w.hostReset();
  assert.deepEqual(events.map((e) => e[0]), ["ble.reset"], "no disconnect reaches JS: the SDK is closing");
  assert.equal(bms.connection, 0);
});

test("a drop during service discovery completes the discovery (empty) before the disconnect", () => {
  const { clock, events, w, bms } = world();
  w.handle("ble.connect", [addressToWire(bms.address), 1]);
  clock.runUntil(1_000);
  const connection = bms.connection;
  events.length = 0;
  w.handle("ble.services", [connection, null]);
  w.drop(bms);
  assert.deepEqual(events, [["ble.services", connection, []], ["ble.disconnected", connection]]);
  clock.runUntil(2_000);
  assert.equal(events.length, 2, "the discovery's own answer never comes");
});

test("a connect beyond CONFIG_BT_NIMBLE_MAX_CONNECTIONS fails at once: no event, nothing pending", () => {
  const { clock, events, w, bms } = world();
  w.maxConnections = 0;
  events.length = 0;
  w.handle("ble.connect", [addressToWire(bms.address), 1]);
  clock.runUntil(10_000);
  assert.deepEqual(events, []);
  assert.equal(w.pendingConnect, undefined);
  assert.equal(w.call("ble.connActive", []), false);
});
