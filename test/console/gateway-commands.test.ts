// Every gateway console command against real links (the BLE side of the firmware on virtual
// time, simulated BMS): what each prints, what it does to the links, and its usage errors. The
// XS virtual console test runs them end to end but cannot count for mutation testing (Stryker
// sees only code that runs in Node); this file can.
import { test } from "node:test";
import assert from "node:assert/strict";
import { instrumentedBuild } from "../doubles/instrumentation";
import { debugCalls } from "../doubles/debug";
import Timer from "timer";
import { startLinks, POLL_MS } from "../link/harness";
import { SimulatedBms } from "../sim/bms";
import { buildRequest, toHex } from "../../modules/protocol/commands";
import { parseHex } from "../../modules/protocol/hex";
import { CommandRegistry } from "../../modules/console/registry";
import { CaptureOutput } from "../../modules/console/output";
import { registerGatewayCommands, useTimer, type GatewayParts } from "../../modules/console/gateway-commands";
import type { WifiManager } from "../../modules/net/wifi-manager";

const HOUSE = "A4:C1:38:00:03:01", GARAGE = "A4:C1:38:00:03:02", ATTIC = "A4:C1:38:00:03:03";
const h = await startLinks([
  { address: HOUSE, id: "house", sim: { cellCount: 4, controlFunctions: true } },
  { address: GARAGE, id: "garage", sim: { cellCount: 4, ntcCount: 0 } },
  // configured but never there
  { address: ATTIC, id: "attic" },
]);
h.device.ble.vanish(h.device.ble.find(ATTIC)!);
// neighbours that advertise but are not configured: one named in its scan response, one without a name
const NEIGHBOUR = "A4:C1:38:00:03:04", NAMELESS = "A4:C1:38:00:03:05";
h.device.ble.add({ address: NEIGHBOUR, name: "JBD-NEXT-DOOR", sim: new SimulatedBms(h.clock, { seed: 99 }) });
h.device.ble.add({ address: NAMELESS, name: "", sim: new SimulatedBms(h.clock, { seed: 98 }) });
const [house, garage, attic] = h.links;

const calls: string[] = [];
const wifi = { configured: true, up: true, lastError: "", reconnect: () => calls.push("wifi.reconnect") };
let mosControl = true, restartable = false, uptime = 0;
const parts: GatewayParts = {
  links: h.links, central: h.central, wifi: wifi as unknown as WifiManager,
  mqttStatus: () => ["mqtt connected 127.0.0.1:1883"], mqttReconnect: () => calls.push("mqtt.reconnect"),
  mosControl: () => mosControl, print: () => {}, restart: () => restartable, uptimeSeconds: () => uptime,
  maintenance: () => h.maintenance,
};
const registry = new CommandRegistry();
registerGatewayCommands(registry, parts);
useTimer((fn, ms) => Timer.set(fn, ms));

/** Run a command line inside the firmware (as the console would) and until it has answered. */
async function run(line: string, maxMs = 30_000): Promise<string> {
  const out = new CaptureOutput(1 << 16);
  let done = false;
  await h.device.invoke(() => {
    const pending = registry.run(line, out);
    if (pending) pending.then(() => { done = true; }); else done = true;
  });
  for (let waited = 0; !done; waited += 50) {
    if (waited > maxMs) throw new Error(`${line}: no answer within ${maxMs} ms`);
    await h.run(50);
    await Promise.resolve();
  }
  return out.text();
}
const lines = (text: string) => text.split("\n").filter(Boolean);

test("house and garage are up; attic never appears", async () => {
  await h.run(40_000);
  assert.equal(house.connected && garage.connected, true);
  assert.equal(attic.connected, false);
});

test("status: uptime, memory, Wi-Fi, MQTT, BLE and one line per BMS", async () => {
  uptime = 90_061;
  let text = await run("status");
  const [first, wifiLine, mqttLine, bleLine, ...bms] = lines(text);
  assert.equal(first, "uptime 1d 1h 1m 1s, memory: n/a (release build)");
  assert.equal(wifiLine, "wifi up");
  assert.equal(mqttLine, "mqtt connected 127.0.0.1:1883");
  assert.match(bleLine, new RegExp(`^ble ready.*, stack resets ${h.central.stackResets}, connect timeouts ${h.central.connectTimeouts}$`));
  assert.equal(bms.length, 3);
  assert.match(bms[0], new RegExp(`^bms house: ready, online, address ${HOUSE}, rssi -\\d+ dBm, last reading \\d+\\.\\d s ago, login: not needed$`));
  const age = Number(/last reading (\S+) s ago/.exec(bms[0])![1]);
  assert.ok(age >= 0 && age <= POLL_MS / 1000 + 1, `the last reading is at most a poll interval old: ${age} s`);
  assert.match(bms[1], /^bms garage: ready, online/);
  assert.match(bms[2], new RegExp(`^bms attic: \\w+, offline, address ${ATTIC}, rssi \\? dBm, last reading never$`));

  uptime = 59;
  Object.assign(wifi, { up: false, lastError: "wrong password?" });
  text = await run("status");
  assert.match(text, /^uptime 0d 0h 0m 59s,/);
  assert.match(text, /\nwifi down \(last error: wrong password\?\)\n/);
  Object.assign(wifi, { configured: false });
  assert.match(await run("status"), /\nwifi not configured \(last error: wrong password\?\)\n/);
  Object.assign(wifi, { configured: true, up: true, lastError: "" });

  parts.restartReason = "BLE connect hung";
  assert.match(await run("status"), /\nlast restart: BLE connect hung\n/);
  parts.restartReason = undefined;
  assert.doesNotMatch(await run("status"), /last restart/);

  // an instrumented build: the figures, read after a collection (so two readings compare)
  const collections = debugCalls.collections;
  instrumentedBuild({ "System Free Memory": () => 123456, "XS Slot Heap Used": () => 32000, "XS Stack Used": () => 2048 });
  try {
    assert.match(await run("status"), /^uptime 0d 0h 0m 59s, memory: free bytes 123456, XS slot heap bytes 32000, XS stack bytes 2048 \(after a collection\)\n/);
    assert.equal(debugCalls.collections, collections + 1);
  } finally { instrumentedBuild(undefined); }
  assert.equal(await run("status now"), "usage: status\n");
});

test("reading: the latest reading of the BMS named, or of each; none yet for one never seen", async () => {
  const text = await run("reading house");
  const info = house.info;
  const got = lines(text);
  assert.match(got[0], new RegExp(`^house \\(\\d+\\.\\d s ago\\): ${info.volts.toFixed(2)} V, ${info.amps.toFixed(2)} A, ${info.watts.toFixed(1)} W, SOC ${info.soc} %$`));
  assert.equal(got[1], `  capacity ${info.remainingAh.toFixed(2)} / ${info.nominalAh.toFixed(2)} Ah, cycles ${info.cycles}`);
  const temps = Array.from({ length: info.temperatureCount }, (_, i) => info.temperatureC(i).toFixed(1));
  assert.equal(temps.length, 3);
  assert.equal(got[2], `  temperatures ${temps.join(", ")} °C`);
  assert.equal(got[3], "  charge FET on, discharge FET on");
  assert.equal(got[4], "  protection none");
  assert.match(got[5], /^ {2}cells 1:\d\.\d{3}\*? 2:/);
  assert.match(got[6], /^ {2}min \d\.\d{3} V, max \d\.\d{3} V, delta \d+ mV$/);
  assert.equal(await run("reading attic"), "attic: no reading yet\n");
  assert.equal(await run("cells attic"), "attic: no cell voltages yet\n");
  const all = await run("reading");
  assert.ok(all.startsWith("house (") && all.includes("\ngarage (") && all.endsWith("attic: no reading yet\n"), all);
  assert.equal(await run("reading house garage"), "usage: reading [bms]\n");
  assert.match(await run("reading garage"), /\n {2}temperatures none\n/, "a pack without sensors");
  assert.match(await run("reading nobody"), /^no BMS 'nobody'/);
});

test("reading shows FETs switched off and the protection that is active", async () => {
  assert.match(await run("mos house charge off"), /^ok: charge FET off confirmed \(now charge off, discharge on\)\n$/);
  const text = await run("reading house");
  assert.match(text, /\n {2}charge FET off, discharge FET on\n/);
  assert.match(text, /\n {2}protection mosSoftwareLock\n/);
  assert.match(await run("mos house charge on"), /^ok: charge FET on confirmed \(now charge on, discharge on\)\n$/);
});

test("stats: link, frame and MQTT statistics of one BMS or all", async () => {
  const s = house.stats, a = house.assembler.stats;
  const got = lines(await run("stats house"));
  assert.equal(got.length, 6);
  assert.equal(got[0], `house: connects ${s.connects} (attempts ${s.connectAttempts}, timeouts ${s.connectTimeouts}), drops ${s.drops}, forced ${s.forcedDisconnects}, stack resets ${s.stackResets}`);
  assert.equal(got[1], `  reconnect last ${s.lastReconnectMs} ms, max ${s.maxReconnectMs} ms`);
  assert.equal(got[2], `  polls ok ${s.pollsOk}, failed ${s.pollsFailed} (timeouts ${s.timeouts}, retries ${s.retries}, error replies ${s.errorReplies}, strays ${s.strays})`);
  assert.equal(got[3], `  latency min ${s.latency.min} / median ~${s.latency.median} / max ${s.latency.max} ms (${s.latency.count} replies)`);
  assert.equal(got[4], `  frames ${a.frames}, discarded: garbage bytes ${a.garbageBytes}, bad checksum ${a.badChecksum}, bad end ${a.badEnd}, gap timeouts ${a.gapTimeouts}, error status ${a.errorStatus}`);
  assert.equal(got[5], "mqtt connected 127.0.0.1:1883");
  assert.ok(s.pollsOk > 3 && a.frames > 6);
  const all = lines(await run("stats"));
  assert.equal(all.length, 3 * 5 + 1);
  assert.deepEqual([all[0].split(":")[0], all[5].split(":")[0], all[10].split(":")[0]], ["house", "garage", "attic"]);
  assert.equal(await run("stats a b"), "usage: stats [bms]\n");
});

test("mos: switches through the link's closed loop; refusals and usage errors switch nothing", async () => {
  const fets = () => h.sims[1].pack.read().fet;
  assert.equal(await run("mos garage discharge off"), "ok: discharge FET off confirmed (now charge on, discharge off)\n");
  assert.deepEqual(fets(), { charge: true, discharge: false });
  assert.match(await run("reading garage"), /\n {2}charge FET on, discharge FET off\n {2}protection mosSoftwareLock\n/);
  assert.equal(await run("mos garage Discharge ON"), "ok: discharge FET on confirmed (now charge on, discharge on)\n");
  assert.deepEqual(fets(), { charge: true, discharge: true });
  mosControl = false;
  assert.equal(await run("mos garage charge off"), "refused: MOS control is disabled (config set mosControl on)\n");
  mosControl = true;
  assert.deepEqual(fets(), { charge: true, discharge: true });
  assert.equal(await run("mos garage heater on"), "FET must be charge or discharge, got 'heater'\nusage: mos [bms] <charge|discharge> <on|off>\n");
  assert.equal(await run("mos garage charge maybe"), "state must be on or off, got 'maybe'\nusage: mos [bms] <charge|discharge> <on|off>\n");
  assert.equal(await run("mos garage charge"), "usage: mos [bms] <charge|discharge> <on|off>\n");
  assert.match(await run("mos charge off"), /^which BMS\? one of: house, garage, attic\n/);
  assert.match(await run("mos attic charge off"), /^failed: not connected\n$/);
  assert.deepEqual(fets(), { charge: true, discharge: true });
});

/** Command lines started in one turn (as the MQTT console runs them: each line as it comes); their outputs. */
async function runTogether(list: string[], maxMs = 30_000): Promise<string[]> {
  const outs = list.map(() => new CaptureOutput(1 << 16));
  let pending = list.length;
  await h.device.invoke(() => list.forEach((line, i) => {
    const p = registry.run(line, outs[i]);
    if (p) p.then(() => { pending--; }); else pending--;
  }));
  for (let waited = 0; pending > 0; waited += 50) {
    if (waited > maxMs) throw new Error(`${list.join("; ")}: no answers within ${maxMs} ms`);
    await h.run(50);
    await Promise.resolve();
  }
  return outs.map((o) => o.text());
}

test("mos: both FETs off in one go are both done, in order; a superseded command says so; a released BMS refuses", async () => {
  const fets = () => h.sims[1].pack.read().fet;
  const e1 = () => h.sims[1].stats.requests[0xe1] ?? 0;
  await h.run(3_000);
  let writes = e1();
  assert.deepEqual(await runTogether(["mos garage charge off", "mos garage discharge off"]), [
    "ok: charge FET off confirmed (now charge off, discharge on)\n",
    "ok: discharge FET off confirmed (now charge off, discharge off)\n",
  ]);
  assert.deepEqual(fets(), { charge: false, discharge: false });
  assert.equal(e1() - writes, 2);
  writes = e1();
  const [first, superseded, last] = await runTogether(["mos garage charge on", "mos garage discharge on", "mos garage discharge off"]);
  assert.match(first, /^ok: charge FET on confirmed/);
  assert.equal(superseded, "failed: superseded by a later command\n");
  assert.match(last, /^ok: discharge FET off confirmed \(now charge on, discharge off\)\n$/);
  assert.equal(e1() - writes, 2, "the superseded command was not written");
  assert.equal(await run("mos garage discharge on"), "ok: discharge FET on confirmed (now charge on, discharge on)\n");
  assert.deepEqual(fets(), { charge: true, discharge: true });
  await run("release garage 3");
  assert.equal(await run("mos garage discharge off"), "failed: released to another central for 3 more min: take it back first (release garage off)\n");
  await run("release garage off");
  await h.runUntil(() => garage.online, 30_000);
  assert.deepEqual(fets(), { charge: true, discharge: true });
});

test("send: a raw request by register or as hex, the reply in hex and decoded", async () => {
  const text = await run("send house read 0x03");
  const got = lines(text);
  assert.equal(got[0], "tx dda50300fffd77");
  assert.match(got[1], /^rx dd0300/);
  assert.equal(JSON.parse(got[2]).type, "basicInfo");
  assert.equal(JSON.parse(got[2]).voltage, Math.round(house.info.volts * 100) / 100);
  const hex = lines(await run("send house DD A5 05 00 FF FB 77"));
  assert.equal(hex[0], "tx dda50500fffb77");
  assert.equal(JSON.parse(hex[2]).type, "hardware");
  assert.equal(await run("send house read 300"), "register: 0..255 (e.g. 0x03)\nusage: send [bms] <hex frame> | send [bms] read <reg>\n");
  assert.equal(await run("send house read -1"), "register: 0..255 (e.g. 0x03)\nusage: send [bms] <hex frame> | send [bms] read <reg>\n");
  assert.match(await run("send house 01 02 03 04 05 06 07"), /^a frame starts with DD and ends with 77/);
  assert.match(await run("send house dd a5 03 00 ff fd"), /^a frame starts with DD and ends with 77/, "too short");
  assert.match(await run("send house dd a5 03 00 ff fd 78"), /^a frame starts with DD and ends with 77/);
  assert.equal(await run("send house zz"), parseHex("zz") + "\nusage: send [bms] <hex frame> | send [bms] read <reg>\n", "not hex");
  assert.equal(await run("send house read 3 4"), parseHex("read 3 4") + "\nusage: send [bms] <hex frame> | send [bms] read <reg>\n", "read takes one register");
  assert.match(await run("send house dd a5 77"), /^a frame starts with DD and ends with 77/, "shorter than a frame");
  assert.match(await run("send house 01 a5 03 00 ff fd 77"), /^a frame starts with DD and ends with 77/);
  for (const reg of [0, 255]) {
    assert.equal(await run("send attic READ " + reg), `tx ${toHex(new Uint8Array(buildRequest(false, reg, [])))}\nno reply: not connected\n`);
  }
  assert.equal(await run("send house"), "usage: send [bms] <hex frame> | send [bms] read <reg>\n");
  assert.equal(await run("send attic read 3"), "tx dda50300fffd77\nno reply: not connected\n");
  // a raw MOS write is a MOS command: refused while MOS control is off (it used to switch the FET)
  mosControl = false;
  const writes = h.sims[0].stats.requests[0xe1] ?? 0;
  try {
    assert.equal(await run("send house DD 5A E1 02 00 01 FF 1C 77"), "refused: a MOS write while MOS control is disabled (config set mosControl on)\n");
    await h.run(2_000);
    assert.equal(h.sims[0].stats.requests[0xe1] ?? 0, writes, "nothing reached the BMS");
  } finally { mosControl = true; }
});

test("maintenance: runs an allowed function and shows its effect; refusals, usage errors and raw 0x0A writes send nothing", async () => {
  const sim = h.sims[0];
  const sent = () => Object.values(sim.stats.controls).reduce((a, b) => a + b, 0);
  await h.runUntil(() => !house.settings.busy && house.online, 60_000);
  assert.equal(await run("maintenance house counters"), "house: failed: not allowed by the configuration (on the serial console: config set maintenance counters)\n");
  assert.equal(await run("send house DD 5A 0A 02 02 00 FF F2 77"), "refused: counters is not allowed (config set maintenance counters), and is better run as 'maintenance counters'\n");
  h.maintenance = "counters";
  try {
    assert.equal(await run("send house DD 5A 0A 02 06 00 FF EE 77"), "refused: control functions (0x0A) other than those of 'maintenance' are never sent (they can cut the pack's power)\n", "power-down");
    assert.equal(sent(), 0, "nothing reached the BMS");
    assert.match(await run("maintenance house counters"), /^house: ok: counters done \(before: error counters: \d+; after: error counters: 0\)\n$/);
    assert.equal(sim.stats.controls[0x0200], 1);
    assert.equal(await run("maintenance house sleep"), "house: failed: unknown function 'sleep': capacity, protection or counters\n");
    assert.equal(await run("maintenance house"), "usage: maintenance [bms] <capacity|protection|counters>\n");
    assert.equal(await run("maintenance shed counters"), "no BMS 'shed' (configured: house, garage, attic)\nusage: maintenance [bms] <capacity|protection|counters>\n");
    await h.runUntil(() => !garage.settings.busy, 60_000);
    assert.equal(await run("maintenance garage counters"), "garage: failed: this BMS does not have the function (it answered 'command not supported': control functions came with V11 firmware)\n");
  } finally { h.maintenance = ""; }
});

test("reconnect: one BMS, all, or Wi-Fi, MQTT, BLE", async () => {
  const connects = house.stats.connects, garageConnects = garage.stats.connects;
  assert.equal(await run("reconnect house"), "house: reconnecting\n");
  await h.run(15_000);
  assert.equal(house.stats.connects, connects + 1, "house connected again");
  assert.equal(garage.stats.connects, garageConnects, "garage untouched");
  assert.equal(await run("reconnect"), "house: reconnecting\ngarage: reconnecting\nattic: reconnecting\n");
  await h.run(20_000);
  assert.equal(garage.stats.connects, garageConnects + 1);
  calls.length = 0;
  assert.equal(await run("reconnect WiFi"), "Wi-Fi reconnecting\n");
  assert.equal(await run("reconnect mqtt"), "MQTT reconnecting\n");
  assert.deepEqual(calls, ["wifi.reconnect", "mqtt.reconnect"]);
  assert.equal(await run("reconnect a b"), "usage: reconnect [bms|ble|wifi|mqtt]\n");
  assert.equal(await run("reconnect ble"), "BLE: checking the stack; a pending connect can only be cleared by a restart\n");
  await h.run(20_000);
  assert.match(await run("reconnect nobody"), /^no BMS 'nobody'/);
});

test("release: hands a BMS to the JBD app for some minutes, status shows it, off takes it back", async () => {
  await h.runUntil(() => house.online, 30_000);
  assert.equal(await run("release house 15"), "house: released for 15 min: the link closes and comes back by itself (release house off: at once)\n");
  await h.runUntil(() => house.stateName === "released", 5_000);
  assert.match(await run("status"), /\nbms house: released for 15 more min, offline, address A4:C1:38:00:03:01/);
  await h.run(60_000);
  assert.match(await run("status"), /\nbms house: released for 14 more min, offline/);
  assert.equal(house.connected, false);
  assert.equal(await run("release house off"), "house: release over, connecting again\n");
  assert.equal(await run("release house off"), "house: not released\n");
  await h.runUntil(() => house.online, 30_000);
  assert.equal(await run("release garage"), "garage: released for 10 min: the link closes and comes back by itself (release garage off: at once)\n");
  assert.equal(await run("release garage resume"), "garage: release over, connecting again\n");
  // usage errors release nothing
  assert.match(await run("release house 0.5"), /^release: minutes 1\.\.1440, or off to take the link back; got '0\.5'/);
  assert.match(await run("release house 1441"), /^release: minutes 1\.\.1440/);
  assert.match(await run("release 10"), /^which BMS\? one of: house, garage, attic/);
  assert.equal(await run("release house 5 6"), "usage: release [bms] [minutes|off]\n");
  assert.equal(house.released, false);
  await h.runUntil(() => garage.online, 30_000);
});

test("scan: lists what it heard when it ends, and the BMS it holds", async () => {
  await h.run(10_000);
  const started = h.clock.now();
  const text = await run("scan 2");
  const took = h.clock.now() - started;
  assert.ok(took >= 2_000 && took < 3_000, `answered when the 2 s scan ended (${took} ms)`);
  const got = lines(text);
  assert.ok(got.some((l) => new RegExp(`^ {2}${NEIGHBOUR} +-\\d+ dBm {2}JBD-NEXT-DOOR$`).test(l)), `the name from the scan response: ${text}`);
  assert.ok(got.some((l) => new RegExp(`^ {2}${NAMELESS} +-\\d+ dBm {2}\\(no name\\)$`).test(l)), text);
  assert.equal(got.filter((l) => l.includes(NEIGHBOUR)).length, 1, "one line per device, however many reports");
  assert.equal(got[0], "scanning for 2 s...");
  const seen = got.findIndex((l) => /^\d+ device\(s\) seen$/.test(l));
  assert.ok(seen > 0, text);
  assert.equal(Number(got[seen].split(" ")[0]), seen - 1, "one line per device");
  for (const l of got.slice(1, seen)) assert.match(l, /^ {2}\S+ +-?\d+ dBm {2}.+$/);
  assert.ok(got.includes(`  ${HOUSE}  connected (house): does not advertise while connected`), text);
  assert.ok(got.includes(`  ${GARAGE}  connected (garage): does not advertise while connected`), text);
  for (const bad of ["scan 0", "scan 61", "scan 1.5", "scan x"]) assert.equal(await run(bad), "seconds: an integer 1..60\nusage: scan [seconds]\n", bad);
  assert.equal(await run("scan 1 2"), "usage: scan [seconds]\n");
  for (const ok of ["scan 1", "scan 60"]) assert.match(await run(ok, 90_000), /^scanning for \d+ s\.\.\.\n/, ok);
  // status while a scan runs
  let answered = false;
  await h.device.invoke(() => { void registry.run("scan 3", new CaptureOutput(1 << 16))?.then(() => { answered = true; }); });
  await h.run(500);
  assert.match(await run("status"), /\nble ready, scanning/);
  while (!answered) await h.run(100);
});

test("capture: a bare capture toggles from the links' state", async () => {
  house.capture = () => {};
  assert.equal(await run("capture"), "capture off\n", "one link capturing counts as on");
  assert.equal(house.capture, undefined);
  assert.equal(await run("capture on off"), "usage: capture [on|off]\n");
});

test("help lists every gateway command with its summary", async () => {
  const help = await run("help");
  const summaries: Record<string, string> = {
    status: "Wi-Fi, MQTT, BLE and each BMS link, uptime, memory (where the build reports it)",
    reading: "the latest reading and cell voltages", cells: "cell voltages with min/max/delta",
    stats: "link, frame and MQTT statistics", scan: "list nearby BLE devices (name, address, RSSI)",
    mos: "switch a FET and confirm by reading back", reconnect: "drop a link and connect again",
    send: "send a raw request, print the reply in hex", release: "let the JBD app have a BMS for a while (default 10 min), or take it back", capture: "print every frame in and out in hex", reboot: "restart the gateway",
  };
  for (const [name, summary] of Object.entries(summaries)) assert.ok(help.split("\n").some((l) => l.startsWith("  " + name + " ") && l.endsWith(" " + summary)), name);
  assert.equal(await run("help mos"), "usage: mos [bms] <charge|discharge> <on|off>\n  switch a FET and confirm by reading back\n");
  assert.equal(await run("help send"), "usage: send [bms] <hex frame> | send [bms] read <reg>\n  send a raw request, print the reply in hex\n");
  assert.equal(await run("help reconnect"), "usage: reconnect [bms|ble|wifi|mqtt]\n  drop a link and connect again\n");
});

test("reboot: says whether the build can", async () => {
  restartable = false;
  assert.equal(await run("reboot"), "reboot is not available in this build\n");
  restartable = true;
  assert.equal(await run("reboot"), "rebooting...\n");
  assert.equal(await run("reboot now"), "usage: reboot\n");
  assert.equal(h.device.fatalErrors, 0);
  assert.ok(POLL_MS > 0);
});
