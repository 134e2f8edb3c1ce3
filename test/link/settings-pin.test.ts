// A pack whose BMS password register (firmware 0x16-0x20) is set and not configured on the gateway:
// the settings read is refused at factory mode (status 0x82), said with the setting to set, and the
// readings go on (its own file: NimBLE holds three connections, settings.test.ts has three).
import { test } from "node:test";
import assert from "node:assert/strict";
import { startLinks } from "./harness";

const p = await startLinks([{ address: "A4:C1:38:00:13:04", id: "pinned", sim: { auth: { kind: "bms-password", password: "123456" } } }]);

test("a BMS whose PIN the gateway lacks refuses factory mode: said with the setting to set, polls go on", async () => {
  const [pinned] = p.links, [pinnedSim] = p.sims;
  await p.runUntil(() => p.logs.some((l) => /BMS settings:pinned read: the BMS refused factory mode/.test(l)), 60_000);
  const line = p.logs.find((l) => /BMS settings:pinned read/.test(l))!;
  assert.match(line, /config set bms1Pin <six digits>/);
  assert.equal(pinned.settings.values, undefined);
  assert.equal(pinnedSim.factoryMode, false);
  assert.equal(pinned.settings.factoryMaybeOn, false, "a refused enter left nothing to exit");
  const readings = p.readings.length;
  await p.run(11_000);
  assert.ok(p.readings.length > readings, "polls go on");
  assert.equal(p.device.fatalErrors, 0);
});

