// The bridge's small pure parts: topic names and parsing, incoming payloads, the entity table.
import { test } from "node:test";
import assert from "node:assert/strict";
import { BmsTopics, GatewayTopics, parseCommandTopic } from "../../modules/bridge/topics";
import { parseSwitch, payloadText, quoted } from "../../modules/bridge/incoming";
import { nodeId } from "../../modules/bridge/discovery";
import { BMS_ENTITY_SLOTS, PROTECTION_LABELS, bmsEntity, hasBmsEntity } from "../../modules/bridge/entities";
import { PROTECTION_NAMES } from "../../modules/protocol/basic-info";

test("topic names under a prefix of one or more levels", () => {
  const g = new GatewayTopics("home/jbd", "gw1");
  assert.deepEqual([g.availability, g.diag, g.error, g.console, g.consoleOut, g.commands],
    ["home/jbd/gw1/availability", "home/jbd/gw1/diag", "home/jbd/gw1/error", "home/jbd/gw1/console", "home/jbd/gw1/console/out", "home/jbd/+/mos/+/set"]);
  const b = new BmsTopics("jbd", "a4c138112233");
  assert.deepEqual([b.availability, b.state, b.info, b.diag, b.chargeSet, b.dischargeSet, b.result], [
    "jbd/a4c138112233/availability", "jbd/a4c138112233/state", "jbd/a4c138112233/info", "jbd/a4c138112233/diag",
    "jbd/a4c138112233/mos/charge/set", "jbd/a4c138112233/mos/discharge/set", "jbd/a4c138112233/mos/result"]);
});

test("command topics are taken apart without regular expressions, and anything else is refused", () => {
  assert.deepEqual(parseCommandTopic("jbd", "jbd/house/mos/heater/set"), { id: "house", fet: "heater" });
  assert.deepEqual(parseCommandTopic("home/jbd", "home/jbd/x/mos/charge/set"), { id: "x", fet: "charge" });
  for (const topic of ["jbd/house/mos/charge", "jbd/house/mos//set", "jbd//mos/charge/set", "jbdx/house/mos/charge/set",
    "other/house/mos/charge/set", "jbd/house/mos/charge/sett", "jbd/house/mosx/charge/set", "jbd/house/mos/charge/set/x", "jbd"]) {
    assert.equal(parseCommandTopic("jbd", topic), undefined, topic);
  }
});

test("switch payloads: ON/OFF, 1/0, true/false in any case; nothing else", () => {
  for (const text of ["ON", "on", " On\n", "1", "true", "TRUE"]) assert.equal(parseSwitch(text), true, text);
  for (const text of ["OFF", "off", "0", "false", " False "]) assert.equal(parseSwitch(text), false, text);
  for (const text of ["", "onn", "yes", "2", "{\"state\":\"ON\"}", "o n"]) assert.equal(parseSwitch(text), undefined, text);
});

test("payload text: UTF-8 decoded, length-limited, invalid bytes refused", () => {
  const bytes = (...b: number[]) => Uint8Array.from(b).buffer;
  assert.equal(payloadText(bytes(0x4f, 0x4e)), "ON");
  assert.equal(payloadText(new TextEncoder().encode("Café ☕ 🔋").buffer as ArrayBuffer, 64), "Café ☕ 🔋");
  assert.equal(payloadText(new ArrayBuffer(17)), undefined, "longer than a switch word");
  for (const bad of [[0xff], [0xc3], [0xe2, 0x98], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0x80]]) {
    assert.equal(payloadText(bytes(...bad)), undefined, bad.map((b) => b.toString(16)).join(" "));
  }
  assert.equal(quoted(undefined), "(not text, or too long)");
  assert.equal(quoted("x".repeat(30)), "'" + "x".repeat(20) + "...'");
});

test("node ids keep only what Home Assistant allows", () => {
  assert.equal(nodeId("house-1_a"), "house-1_a");
  assert.equal(nodeId("my.bms 2/é"), "my_bms_2__");
});

test("the entity table: protection labels match the protocol's bits; every slot has a distinct object id", () => {
  assert.equal(PROTECTION_LABELS.length, PROTECTION_NAMES.length);
  const ids = new Set<string>();
  for (let i = 0; i < BMS_ENTITY_SLOTS; i++) {
    const e = bmsEntity(i);
    ids.add(e.component + "/" + e.object);
  }
  assert.equal(ids.size, BMS_ENTITY_SLOTS);
  const count = (shape: Parameters<typeof hasBmsEntity>[0]) => {
    let n = 0;
    for (let i = 0; i < BMS_ENTITY_SLOTS; i++) if (hasBmsEntity(shape, i)) n++;
    return n;
  };
  const small = count({ cells: 4, temperatures: 3, extended: false, control: true });
  assert.equal(count({ cells: 16, temperatures: 3, extended: false, control: true }), small + 12, "one entity per cell");
  assert.equal(count({ cells: 4, temperatures: 0, extended: false, control: true }), small - 3, "one per NTC");
  assert.equal(count({ cells: 4, temperatures: 3, extended: false, control: false }), small, "switches become sensors");
  assert.equal(count({ cells: 4, temperatures: 3, extended: true, control: true }), small + 5, "extended: full charge capacity, balance current, humidity, alarm, alarm text");
});
