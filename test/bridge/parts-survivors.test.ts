// The bridge's small pure parts, for what mutation testing left open: the PUBLISH packet size at
// each remaining-length boundary (send-buffer.ts), command topics that are wrong in only one way
// (topics.ts), and which retained topics a change of settings leaves behind (retire.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import { MAX_PACKET, SEND_BUFFER, packetBytes, publishBytes } from "../../modules/bridge/send-buffer";
import { parseCommandTopic } from "../../modules/bridge/topics";
import { Retirement, retirePlan, type TopicGroup } from "../../modules/bridge/retire";
import type { BridgeSettings, BrokerSettings } from "../../modules/bridge/bridge";

test("packet bytes: 1 to 4 remaining-length bytes, switching exactly at 128, 16384 and 2097152", () => {
  // remaining = 2 (topic length) + topic + payload; the header is 1 byte + the remaining length's bytes
  for (const [remaining, lengthBytes] of [[2, 1], [127, 1], [128, 2], [16383, 2], [16384, 3], [2097151, 3], [2097152, 4], [3_000_000, 4]]) {
    assert.equal(packetBytes(0, remaining - 2), 1 + lengthBytes + remaining, "remaining " + remaining);
    assert.equal(packetBytes(remaining - 2, 0), 1 + lengthBytes + remaining, "remaining " + remaining + " all topic");
  }
  assert.equal(packetBytes(3, 5), 1 + 1 + 2 + 3 + 5);
  assert.equal(MAX_PACKET, SEND_BUFFER - 128);
});

test("packet bytes of a payload given as UTF-8 bytes (an ArrayBuffer) count its bytes", () => {
  const payload = new TextEncoder().encode("°C ok").buffer as ArrayBuffer; // 6 bytes, 5 characters
  assert.equal(publishBytes("a/b", payload), 1 + 1 + 2 + 3 + 6);
  assert.equal(publishBytes("a/b", "°C ok"), 1 + 1 + 2 + 3 + 6, "the same as text");
  assert.equal(publishBytes("t/°", new ArrayBuffer(0)), 1 + 1 + 2 + 4);
  assert.equal(publishBytes("t", new ArrayBuffer(126)), 1 + 2 + 2 + 1 + 126, "129 remaining: two length bytes");
});

test("command topics wrong in one way only are refused: another prefix of the same length, no /mos/, a longer tail", () => {
  assert.deepEqual(parseCommandTopic("jbd", "jbd/house/mos/charge/set"), { id: "house", fet: "charge" });
  for (const topic of [
    "xyz/house/mos/charge/set",   // same length as the prefix, other text
    "jbd/house/abc/charge/set",   // no "/mos/" where it belongs (as long as "/mos/" minus one)
    "jbd/house/mos/charge/x/set", // ends in /set, but one level too many
    "jbd/house/mos/charge/abc",   // right length, not /set
    "jbd/",                       // the prefix and its slash only
    "jbdxh/mos/charge/set",       // the prefix not followed by "/" (the rest would parse)
  ]) assert.equal(parseCommandTopic("jbd", topic), undefined, topic);
  assert.deepEqual(parseCommandTopic("jbd", "jbd/a/mos/b/set"), { id: "a", fet: "b" }, "one-character levels");
});

const bridge = (over: Partial<BridgeSettings> = {}): BridgeSettings =>
  ({ prefix: "jbd", gatewayId: "gw", discovery: true, discoveryPrefix: "homeassistant", mosControl: true, ...over });
const broker = (over: Partial<BrokerSettings> = {}): BrokerSettings =>
  ({ host: "mqtt.local", port: 1883, tls: false, user: "u", password: "p", ...over });
const plan = (gateway: boolean, bms: boolean, gatewayDiscovery: boolean, bmsDiscovery: boolean, bank = false, bankDiscovery = false) =>
  ({ gateway, bms, gatewayDiscovery, bmsDiscovery, bank, bankDiscovery });

test("retire plan: what each change of names or discovery leaves behind, and only that", () => {
  const same = (o: Partial<BridgeSettings>, n: Partial<BridgeSettings>) => retirePlan(bridge(o), broker(), bridge(n), broker());
  assert.equal(same({}, {}), undefined, "nothing changed");
  assert.equal(same({}, { mosControl: false }), undefined, "MOS control moves no topic");
  assert.equal(same({ discovery: false }, { discovery: false }), undefined, "discovery off before and after");
  assert.equal(same({ discovery: false }, { discovery: true }), undefined, "discovery switched on: nothing to clear");
  assert.deepEqual(same({ discovery: false, discoveryPrefix: "old" }, { discovery: false }), plan(false, false, false, false),
    "a discovery prefix not in use: a plan that clears nothing");

  assert.deepEqual(same({}, { prefix: "home" }), plan(true, true, false, false), "new topic prefix");
  assert.deepEqual(same({}, { gatewayId: "gw2" }), plan(true, false, true, false), "gateway renamed: its topics and its device");
  assert.deepEqual(same({ discovery: false }, { discovery: false, gatewayId: "gw2" }), plan(true, false, false, false), "renamed without discovery");
  assert.deepEqual(same({}, { discoveryPrefix: "ha" }), plan(false, false, true, true), "new discovery prefix");
  assert.deepEqual(same({}, { discovery: false }), plan(false, false, true, true), "discovery switched off");
  assert.deepEqual(same({ discovery: false }, { discovery: true, discoveryPrefix: "ha" }), plan(false, false, false, false),
    "discovery on under a new prefix: there was none to clear");
  assert.deepEqual(same({}, { prefix: "home", gatewayId: "gw2", discovery: false }), plan(true, true, true, true), "everything moved");
  // the bank: switched off, its reading and device go; moved with the gateway's topics; kept otherwise
  assert.equal(same({ bank: "parallel" }, { bank: "parallel" }), undefined, "a bank kept");
  assert.equal(same({ bank: "parallel" }, { bank: "series" }), undefined, "rewired: the same topics");
  assert.equal(same({}, { bank: "series" }), undefined, "a bank switched on: nothing to clear");
  assert.deepEqual(same({ bank: "parallel" }, { bank: "" }), plan(false, false, false, false, true, true), "a bank switched off");
  assert.deepEqual(same({ bank: "parallel", discovery: false }, { discovery: false }), plan(false, false, false, false, true, false), "switched off, no discovery");
  assert.deepEqual(same({ bank: "parallel" }, { bank: "parallel", gatewayId: "gw2" }), plan(true, false, true, false, true, true), "moved with the gateway");
  assert.deepEqual(same({ bank: "parallel" }, { bank: "parallel", discoveryPrefix: "ha" }), plan(false, false, true, true, false, true), "its device moved");
});

test("retire plan: another broker clears nothing, whatever moved; user and password do not count as another broker", () => {
  const moved = bridge({ prefix: "home", discoveryPrefix: "ha" });
  for (const other of [{ host: "other" }, { port: 1884 }, { tls: true }]) {
    assert.equal(retirePlan(bridge(), broker(), moved, broker(other)), undefined, JSON.stringify(other));
  }
  assert.deepEqual(retirePlan(bridge(), broker(), moved, broker({ user: "v", password: "q" })), plan(true, true, true, true));
});

test("retirement walks every group's topics in order, skipping empty groups, then ends", () => {
  const groups: TopicGroup[] = [[0, () => "never"], [2, (i) => "a" + i], [0, () => "never"], [0, () => "never"], [3, (i) => "b" + i], [0, () => "never"]];
  const r = new Retirement(groups);
  const seen: string[] = [];
  for (let topic = r.current(); topic !== undefined; topic = r.current()) {
    assert.equal(r.current(), topic, "current() without advance() stays");
    seen.push(topic);
    r.advance();
    if (seen.length > 10) break;
  }
  assert.deepEqual(seen, ["a0", "a1", "b0", "b1", "b2"]);
  assert.equal(r.current(), undefined);
  assert.equal(new Retirement([]).current(), undefined);
  assert.equal(new Retirement([[0, () => "x"]]).current(), undefined);
});
