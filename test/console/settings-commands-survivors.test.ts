// The console's `settings` command with one pack and the real console in front of it, for what
// settings-commands.test.ts leaves open and mutation testing would find: the pack is the one meant
// when none is named; before the first read; a backup pasted line by line into the console (the
// console feeds the lines to the command until the document is whole, then is the user's again);
// every register shown; the balance mode written as a word; lists with several items.
import { test } from "node:test";
import assert from "node:assert/strict";
import Timer from "timer";
import { startLinks } from "../link/harness";
import { outcomeLines, registerSettingsCommands } from "../../modules/console/settings-commands";
import { REGISTERS } from "../../modules/protocol/registers";
import { makeConsole } from "./helpers";

const h = await startLinks([{ address: "A4:C1:38:00:15:01", id: "house", sim: { eeprom: "fw20" } }]);
const [house] = h.links;
const [sim] = h.sims;
const { registry, console: con, type, drain } = makeConsole();
registerSettingsCommands(registry, {
  links: h.links, readLines: (r) => con.readLines(r),
  setTimer: (fn, ms) => Timer.set(fn, ms), clearTimer: (t) => Timer.clear(t as never),
});

/** Types a line at the console inside the firmware; what the console printed until it is idle again. */
async function typeLine(text: string, maxMs = 60_000): Promise<string> {
  let out = "";
  await h.device.invoke(() => { out += type(text + "\r"); });
  for (let waited = 0; con.busy; waited += 50) {
    if (waited > maxMs) throw new Error(`${text}: no answer within ${maxMs} ms`);
    await h.run(50);
    await Promise.resolve();
    out += drain();
  }
  return out + drain();
}
const lines = (text: string) => text.replace(/> /g, "").split(/\r?\n/).map((l) => l.replace(/\r/g, "")).filter((l) => l && l !== text);

test("before the first read: not read yet, and how to read them; while the read runs, that it runs", async () => {
  assert.equal(house.settings.values, undefined);
  let text = await typeLine("settings");
  assert.match(text, /house: settings not read yet: settings read house\r?\n/);
  assert.match(await typeLine("settings backup"), /house: settings not read yet: settings read house\r?\n/);
  await h.runUntil(() => house.settings.busy, 60_000, 5);
  text = await typeLine("settings house");
  assert.match(text, /house: settings not read yet \(a read is under way\)\r?\n/);
  await h.runUntil(() => house.settings.values !== undefined && !house.settings.busy, 60_000);
});

test("one pack: it is the one meant when none is named", async () => {
  const text = await typeLine("settings read");
  assert.match(text, /house: reading the settings \(factory mode, about 3 s\)\.\.\.\r?\nhouse: read ok\r?\n/);
  assert.match(await typeLine("settings"), /house: settings \(writes off: config set settingsWrite on\)/);
});

test("settings: every register the pack has is shown, from the first, in lines of at most 100 characters of items", async () => {
  const text = await typeLine("settings house");
  const got = text.split(/\r?\n/).filter((l) => l.startsWith("  "));
  assert.ok(got[0].startsWith("  designCapacity 100 Ah, cycleCapacity 80 Ah, "), got[0]);
  const items = got.slice(0, -1).join(", ");
  for (const info of REGISTERS) assert.ok(new RegExp(`(^| )${info.key} `).test(items), info.key);
  for (const l of got.slice(0, -2)) assert.ok(l.length <= 2 + 100 + 2, l); // items up to 100 characters, and the comma after the last
  assert.equal(got.at(-1), "  balanceMode off");
});

test("settings set: the balance mode is a word; it is shown as set", async () => {
  h.settingsWrite = true;
  try {
    assert.match(await typeLine("settings set house balanceMode always"), /house: write ok\r?\n {2}balanceMode: off -> always \(saved\)\r?\n/);
    assert.match(await typeLine("settings"), /\r?\n {2}balanceMode always\r?\n/);
    assert.match(await typeLine("settings set house balanceMode off"), /balanceMode: always -> off \(saved\)/);
  } finally { h.settingsWrite = false; }
});

test("a backup pasted into the console: the lines go to the command until the document is whole; then the console is the user's again", async () => {
  const backup = lines(await typeLine("settings backup")).filter((l) => l !== "settings backup");
  assert.ok(backup.length > 5 && backup[0].startsWith("{"), backup[0]);
  const changed = backup.map((l) => l.replace(/"cellOvervoltage":[\d.]+/, "\"cellOvervoltage\":3.62"));
  /** Types a line without waiting for the command to end. */
  const send = async (text: string) => { let out = ""; await h.device.invoke(() => { out += type(text + "\r"); }); await h.run(20); return out + drain(); };
  const saves = sim.eeprom.stats.saves;
  let out = await send("settings restore dry");
  assert.match(out, /paste the backup document of house/);
  assert.equal(con.busy, true, "the command waits for the paste");
  for (const l of changed.slice(0, -1)) {
    out = await send(l);
    assert.ok(!out.includes("busy:"), "a line of the document went to the command, not to the console: " + out);
    assert.equal(con.busy, true);
  }
  let last = await send(changed.at(-1)!);
  for (let i = 0; i < 100 && con.busy; i++) { await h.run(50); last += drain(); }
  assert.match(last, /house: restore \(dry run: nothing written\) ok\r?\n {2}cellOvervoltage: 3\.65 -> 3\.62\r?\n/);
  assert.equal(con.busy, false);
  assert.match(await typeLine("settings house"), /house: settings \(writes off/, "the console runs commands again");
  assert.equal(sim.eeprom.stats.saves, saves, "a dry run saves nothing");
});

test("outcome lists with several items are comma separated", () => {
  assert.deepEqual(outcomeLines("house", { ok: true, action: "write", unchanged: ["a", "b"], unreadable: ["c", "d"] }),
    ["house: write ok", "  unchanged: a, b", "  unreadable: c, d"]);
});

test("help names the command and what it does", async () => {
  assert.match(await typeLine("help"), /settings +a pack's protection and capacity settings: show, read now, backup, set <key> <value> \.\.\., restore \[dry\]/);
});
