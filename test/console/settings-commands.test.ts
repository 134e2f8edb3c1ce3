// The console's `settings` command against real links (the BLE side of the firmware on virtual time,
// simulated BMS with their EEPROM, test/sim/bms-eeprom.ts): the values with their units, the backup
// in lines that paste back, read, set and restore (with a dry run) and every refusal and usage error.
// The XS test (test/virtual/mqtt-bms-settings.test.ts) runs it end to end, where Stryker cannot see.
import { test } from "node:test";
import assert from "node:assert/strict";
import Timer from "timer";
import { startLinks } from "../link/harness";
import { CommandRegistry } from "../../modules/console/registry";
import { CaptureOutput } from "../../modules/console/output";
import type { LineReader } from "../../modules/console/console";
import { backupLines, outcomeLines, registerSettingsCommands } from "../../modules/console/settings-commands";
import { settingsText } from "../../modules/bridge/settings-payloads";
import { JsonWriter } from "../../modules/protocol/json";

const h = await startLinks([
  { address: "A4:C1:38:00:14:01", id: "house", name: "House", sim: { eeprom: "fw20" } },
  { address: "A4:C1:38:00:14:02", id: "garage", sim: { eeprom: "fw16" } },
]);
const [house, garage] = h.links;
const [houseSim] = h.sims;

let reader: LineReader | undefined;
const timers: { fn: () => void; ms: number; cleared: boolean }[] = [];
const registry = new CommandRegistry();
registerSettingsCommands(registry, {
  links: h.links,
  readLines: (r) => { reader = r; },
  // the paste timeout on virtual time, and seen by the test
  setTimer: (fn, ms) => { const t = { fn, ms, cleared: false, handle: Timer.set(() => { if (!t.cleared) fn(); }, ms) }; timers.push(t); return t; },
  clearTimer: (handle) => { (handle as { cleared: boolean }).cleared = true; },
});

interface Running { out: CaptureOutput; done: boolean }
/** Starts a command line inside the firmware (as the console would). */
async function start(line: string): Promise<Running> {
  const running: Running = { out: new CaptureOutput(1 << 16), done: false };
  await h.device.invoke(() => {
    const pending = registry.run(line, running.out);
    if (pending) pending.then(() => { running.done = true; }); else running.done = true;
  });
  return running;
}
async function finish(running: Running, maxMs = 60_000): Promise<string> {
  for (let waited = 0; !running.done; waited += 50) {
    if (waited > maxMs) throw new Error(`no answer within ${maxMs} ms: ${running.out.text()}`);
    await h.run(50);
    await Promise.resolve();
  }
  return running.out.text();
}
const run = async (line: string) => finish(await start(line));
const paste = (line: string) => h.device.invoke(() => { reader!.line(line); });
const lines = (text: string) => text.split("\n").filter(Boolean);

test("both packs' settings are read after their first reading", async () => {
  await h.runUntil(() => house.settings.values !== undefined && garage.settings.values !== undefined && !house.settings.busy && !garage.settings.busy, 90_000);
});

test("settings <bms>: the values with their units, read-only ones marked, the balance mode, the registers this firmware lacks", async () => {
  const text = await run("settings house");
  const got = lines(text);
  assert.equal(got[0], "house: settings (writes off: config set settingsWrite on)");
  for (const l of got.slice(1, -1)) assert.ok(l.startsWith("  ") && l.length <= 2 + 100 + 40, l);
  const all = got.slice(1).join(", ");
  assert.match(all, /(^|, | {2})cellOvervoltage 3\.65 V(,|$)/);
  assert.match(all, /, cycleCount \d+ \(ro\)/, "read-only marked");
  assert.match(all, /designCapacity \d+(\.\d+)? Ah,/);
  assert.match(all, /chargeOvertemp -?\d+(\.\d)? °C,/);
  assert.match(all, /manufactureDate 20\d\d-\d{1,2}-\d{1,2} \(ro\)/);
  assert.match(all, /functionsRaw 0x[0-9a-f]{4} \(ro\)/, "bits in hex");
  assert.match(all, /cellVoltageReleaseDelays \d+\/\d+ s \(ro\)/, "two delays");
  assert.match(all, /cellCount \d+ \(ro\)/);
  assert.ok(!all.includes("cellOvervoltage 3.65 V (ro)"), "writable ones are not marked");
  assert.match(got.at(-1)!, /^ {2}balanceMode (off|always|charging)$/);
  assert.ok(!text.includes("absent"), "firmware 0x20 has every register");
  // items are never cut: every line holds whole items, none longer than the limit plus one item
  for (const l of got.slice(1, -1)) assert.ok(/^ {2}\w+ /.test(l), l);
  assert.ok(got.length >= 6, "in several lines");
  const old = lines(await run("settings garage"));
  assert.match(old.at(-1)!, /^ {2}absent \(this firmware lacks them\): .*socVoltage90.*socVoltage100/);
  assert.equal(await run("settings House"), text, "by name too");
  h.settingsWrite = true;
  assert.equal(lines(await run("settings house"))[0], "house: settings (writes allowed)");
  h.settingsWrite = false;
});

test("settings alone: every pack in turn; with one BMS named twice, or an unknown one, usage", async () => {
  const text = await run("settings");
  assert.ok(text.startsWith("house: settings"), text);
  assert.match(text, /\ngarage: settings/);
  assert.equal(await run("settings house garage"), "usage: settings [read|backup|set|restore] [bms] ...\n");
  assert.equal(await run("settings nobody"), "which BMS? one of: house, garage\nusage: settings [read|backup|set|restore] [bms] ...\n");
  assert.equal(await run("settings read"), "which BMS? one of: house, garage\nusage: settings [read|backup|set|restore] [bms] ...\n");
});

test("settings read <bms>: one session now, its outcome; extra words are a usage error", async () => {
  const reads = houseSim.eeprom.stats.reads;
  const text = await run("settings read house");
  assert.deepEqual(lines(text), ["house: reading the settings (factory mode, about 3 s)...", "house: read ok"]);
  assert.ok(houseSim.eeprom.stats.reads > reads, "read again");
  assert.equal(await run("SETTINGS READ house now"), "usage: settings [read|backup|set|restore] [bms] ...\n");
});

test("settings backup <bms>: the settings document in lines of at most 120 characters, cut after commas; joined, the document", async () => {
  const text = await run("settings backup house");
  const got = lines(text);
  assert.ok(got.length > 5);
  for (const l of got) assert.ok(l.length <= 120, l);
  for (const l of got.slice(0, -1)) assert.ok(l.endsWith(","), l);
  assert.equal(got.join(""), settingsText(new JsonWriter(), house));
  assert.equal(JSON.parse(got.join("")).format, "jbd-settings/1");
  assert.equal(await run("settings backup house now"), "usage: settings [read|backup|set|restore] [bms] ...\n");
});

test("backup lines: cut after the last comma within 120 characters; a run without a comma cut at 120", () => {
  assert.deepEqual(backupLines("short"), ["short"]);
  assert.deepEqual(backupLines("x".repeat(120)), ["x".repeat(120)]);
  const long = "a".repeat(100) + "," + "b".repeat(30);
  assert.deepEqual(backupLines(long), ["a".repeat(100) + ",", "b".repeat(30)]);
  assert.deepEqual(backupLines("c".repeat(250)), ["c".repeat(120), "c".repeat(120), "c".repeat(10)]);
  const exact = "d".repeat(119) + "," + "e";
  assert.deepEqual(backupLines(exact), ["d".repeat(119) + ",", "e"]);
  assert.deepEqual(backupLines("," + "f".repeat(130)), ["," + "f".repeat(119), "f".repeat(11)], "a comma at the start is no place to cut");
});

test("settings set: refused while writes are off; written, read back and saved when on; a value that is no number is a usage error", async () => {
  assert.deepEqual(lines(await run("settings set house cellOvervoltage 3.6")),
    ["house: write failed: settings writes are disabled (config set settingsWrite on)"]);
  h.settingsWrite = true;
  try {
    const saves = houseSim.eeprom.stats.saves;
    assert.deepEqual(lines(await run("settings set house cellOvervoltage 3.6")), ["house: write ok", "  cellOvervoltage: 3.65 -> 3.6 (saved)"]);
    assert.ok(houseSim.eeprom.stats.saves > saves, "saved in the EEPROM");
    assert.equal(houseSim.eeprom.saved(0x24), 3600);
    assert.deepEqual(lines(await run("settings set house cellOvervoltage 3.6")), ["house: write ok", "  unchanged: cellOvervoltage"]);
    assert.equal(await run("settings set house cellOvervoltage abc"), "cellOvervoltage: 'abc' is not a number\nusage: settings [read|backup|set|restore] [bms] ...\n");
    assert.equal(await run("settings set house cellOvervoltage ' '"), "cellOvervoltage: ' ' is not a number\nusage: settings [read|backup|set|restore] [bms] ...\n");
    assert.equal(await run("settings set house cellOvervoltage"), "usage: settings [read|backup|set|restore] [bms] ...\n");
    assert.equal(await run("settings set house"), "usage: settings [read|backup|set|restore] [bms] ...\n");
    assert.equal(await run("settings set house cellOvervoltage 3.6 balanceMode"), "usage: settings [read|backup|set|restore] [bms] ...\n");
    assert.match(await run("settings set house cellOvervoltage 9"), /^house: write failed: refused: cellOvervoltage/);
    // back to where it was
    assert.deepEqual(lines(await run("settings set house cellOvervoltage 3.65")), ["house: write ok", "  cellOvervoltage: 3.6 -> 3.65 (saved)"]);
  } finally { h.settingsWrite = false; }
});

test("settings restore: refused while writes are off; a dry run lists what the pasted backup would change and writes nothing", async () => {
  assert.deepEqual(lines(await run("settings restore house")), ["house: restore failed: settings writes are disabled (config set settingsWrite on)"]);
  const backup = lines(await run("settings backup house"));
  const changed = backup.map((l) => l.replace(/"cellOvervoltage":[\d.]+/, "\"cellOvervoltage\":3.62"));
  assert.notDeepEqual(changed, backup);
  const writes = houseSim.eeprom.stats.writes;
  const running = await start("settings restore house dry");
  assert.equal(running.out.text(), "paste the backup document of house (the lines of 'settings backup'); Ctrl-C cancels\n");
  assert.ok(reader, "the console's lines are the command's now");
  for (const l of changed) await paste("  " + l + " ");
  const text = await finish(running);
  assert.deepEqual(lines(text).slice(1), ["house: restore (dry run: nothing written) ok", "  cellOvervoltage: 3.65 -> 3.62"]);
  assert.equal(reader, undefined, "the console has its lines back");
  assert.ok(timers.at(-1)!.cleared, "the paste timeout is cancelled");
  assert.equal(houseSim.eeprom.stats.writes, writes, "nothing written");
});

test("settings restore: the pasted backup is written, read back and saved", async () => {
  h.settingsWrite = true;
  try {
    const backup = lines(await run("settings backup house")).map((l) => l.replace(/"cellOvervoltage":[\d.]+/, "\"cellOvervoltage\":3.61"));
    const running = await start("settings restore house");
    for (const l of backup) await paste(l);
    assert.equal(reader, undefined);
    const text = await finish(running);
    assert.equal(lines(text)[1], "house: restore ok");
    assert.ok(lines(text).includes("  cellOvervoltage: 3.65 -> 3.61 (saved)"), text);
    assert.equal(houseSim.eeprom.saved(0x24), 3610);
    const undo = await start("settings restore house");
    for (const l of backup.map((x) => x.replace(/"cellOvervoltage":[\d.]+/, "\"cellOvervoltage\":3.65"))) await paste(l);
    assert.ok(lines(await finish(undo)).includes("  cellOvervoltage: 3.61 -> 3.65 (saved)"));
    assert.equal(await run("settings restore house now"), "usage: settings [read|backup|set|restore] [bms] ...\n");
  } finally { h.settingsWrite = false; }
});

test("settings restore: what is not a backup, too long, cancelled or never completed writes nothing and gives the console back", async () => {
  let running = await start("settings restore house dry");
  await paste("{\"format\":\"jbd-settings/2\",\"values\":{}}");
  assert.equal(lines(await finish(running))[1], "settings restore: not a backup document (format jbd-settings/1): nothing written");
  assert.equal(reader, undefined);
  running = await start("settings restore house dry");
  await paste("[1,2]");
  assert.equal(lines(await finish(running))[1], "settings restore: not a backup document (format jbd-settings/1): nothing written");
  running = await start("settings restore house dry");
  await paste("null");
  assert.equal(lines(await finish(running))[1], "settings restore: not a backup document (format jbd-settings/1): nothing written");

  running = await start("settings restore house dry");
  for (let i = 0; i < 40; i++) await paste("{\"a\":\"" + "x".repeat(100));
  assert.equal(lines(await finish(running))[1], "settings restore: more than 4096 characters: not a backup document; nothing written");
  assert.equal(reader, undefined);

  running = await start("settings restore house dry");
  await paste("{\"format\":");
  const r = reader!;
  await h.device.invoke(() => r.cancel("cancelled"));
  assert.equal(await finish(running), "paste the backup document of house (the lines of 'settings backup'); Ctrl-C cancels\n\r\nsettings restore: cancelled: nothing written\n");
  await h.device.invoke(() => r.cancel("again"));
  assert.ok(!running.out.text().includes("again"), "answered once");

  running = await start("settings restore house dry");
  assert.equal(timers.at(-1)!.ms, 60_000);
  await paste("{\"format\":");
  await h.run(59_000);
  assert.equal(running.done, false, "still waiting after 59 s");
  const text = await finish(running, 5_000);
  assert.equal(lines(text)[1], "settings restore: nothing complete within 60 s: nothing written");
  assert.equal(reader, undefined, "the console has its lines back");
});

test("outcome lines: every part of an outcome, in order", () => {
  assert.deepEqual(outcomeLines("house", {
    ok: false, action: "write", error: "value did not read back", changes: [{ key: "cellOvervoltage", from: 3.65, to: 3.6 }],
    failed: { key: "cellOvervoltage", wrote: 3.6, read: null }, unchanged: ["a"], skipped: ["b", "c"], unreadable: ["d"],
  }), [
    "house: write failed: value did not read back", "  cellOvervoltage: 3.65 -> 3.6 (not saved)", "  cellOvervoltage: wrote 3.6, read back nothing",
    "  unchanged: a", "  skipped: b, c", "  unreadable: d",
  ]);
  assert.deepEqual(outcomeLines("house", { ok: true, action: "restore", error: "a note", failed: { key: "balanceMode", wrote: "off", read: "always" } }),
    ["house: restore ok", "  a note", "  balanceMode: wrote off, read back always"]);
  assert.deepEqual(outcomeLines("house", { ok: true, action: "write", unchanged: [], skipped: [], unreadable: [] }), ["house: write ok"]);
});

test("access: showing, backup and read are reads, set changes, restore is for the serial console only", () => {
  assert.equal(registry.accessOf("settings").access, "read");
  assert.equal(registry.accessOf("settings house").access, "read");
  assert.equal(registry.accessOf("settings read house").access, "read");
  assert.equal(registry.accessOf("settings backup").access, "read");
  assert.equal(registry.accessOf("settings SET house a 1").access, "change");
  assert.equal(registry.accessOf("settings Restore house").access, "serial");
});
