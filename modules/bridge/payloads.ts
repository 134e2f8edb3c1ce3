// JSON payloads the bridge publishes, built at publish time only, each as the UTF-8 ArrayBuffer the
// SDK's publish sends as is (utf8Bytes): the state (every poll cycle) as one joinText of its members'
// texts, the rest in one reused JsonWriter (JsonWriter.payload).
// Reading keys come from the protocol core (modules/protocol/json.ts); the bridge adds its own.
import { JsonWriter, type ReadingTexts, basicInfoMembers, cellsMembers, writeErrorCounters, writeHardware } from "../protocol/json";
import { fixedText, joinText, toFixed, utf8Bytes } from "../protocol/json-writer";
import { problemTextMembers } from "../protocol/problem-text";
import type { BmsView, Fet, MosResult } from "../link/bms-view";
import type { MaintenanceFacts, MaintenanceResult } from "../link/maintenance";
import type { LinkStats } from "../link/link-stats";
import type { AssemblerStats } from "../protocol/assembler";
import type { MqttStats } from "./mqtt-connection";
import type { Clock } from "./ports";
import type { MemoryFigures } from "../platform/memory";
import { quoted } from "./incoming";

/** Date.now() before SNTP has run is near 1970; anything before 2024 means "clock not set". */
const CLOCK_SET_AFTER_MS = Date.UTC(2024, 0, 1);

/**
 * <bms>/state: the reading, its age in seconds, when it was taken (if the clock is set) and RSSI.
 * `texts`: the pack's kept parts (one per pack).
 */
export function stateJson(w: JsonWriter, bms: BmsView, clock: Clock, texts?: ReadingTexts): ArrayBuffer {
  const info = bms.info, cells = bms.cells;
  const ageMs = clock.since(bms.infoAt);
  const now = clock.epochMs();
  // kWh since the last `energy reset` (whole Wh, as flash keeps them) and seconds; null while idle or
  // going the other way, and all four null for a view without a meter (Home Assistant: "unknown");
  // RSSI null, not absent: Home Assistant shows "unknown" for null and logs an error for a missing key.
  // RSSI (NimBLE's integer) and the estimates (EnergyMeter: whole seconds of finite values, or -1) are
  // integers: printed by joinText as they are.
  const energy = bms.energy;
  // one text, made by the engine from the members' texts (a writer's pieces cost a push each)
  return utf8Bytes(joinText.call("{", basicInfoMembers(w, info, texts), ",", cellsMembers(cells), ",", problemTextMembers(info, cells),
    ",\"age\":", fixedText(ageMs / 1000, 1),
    now > CLOCK_SET_AFTER_MS ? ",\"timestamp\":\"" + new Date(now - ageMs).toISOString() + "\"" : "",
    ",\"rssi\":", bms.rssi === undefined ? "null" : bms.rssi,
    ",\"energyCharged\":", energy ? toFixed.call(Math.floor(energy.chargedWh) / 1000, 3) : "null",
    ",\"energyDischarged\":", energy ? toFixed.call(Math.floor(energy.dischargedWh) / 1000, 3) : "null",
    ",\"timeToEmpty\":", !energy || energy.timeToEmptyS < 0 ? "null" : energy.timeToEmptyS,
    ",\"timeToFull\":", !energy || energy.timeToFullS < 0 ? "null" : energy.timeToFullS, "}"));
}

/** <bms>/info: what the BMS is; changes only with the pack or its firmware. */
export function infoJson(w: JsonWriter, bms: BmsView): ArrayBuffer {
  const info = bms.info;
  w.clear().beginObject();
  w.key("name").string(bms.name);
  w.key("address");
  if (bms.address) w.string(bms.address); else w.null();
  if (bms.hardware.length) writeHardware(w, bms.hardware);
  w.key("softwareVersion").string(softwareVersion(bms));
  w.key("productionDate").string(info.productionYear + "-" + twoDigits(info.productionMonth) + "-" + twoDigits(info.productionDay));
  w.key("cellCount").number(info.cellCount);
  w.key("ntcCount").number(info.temperatureCount);
  w.key("nominalCapacity").fixed(info.nominalAh, 2);
  return w.endObject().payload;
}

/** "1.0" for 0x10, as the protocol core's JSON prints it. */
export function softwareVersion(bms: BmsView): string {
  return bms.info.softwareMajor + "." + bms.info.softwareMinor;
}

/** <bms>/diag: link statistics, RSSI, the BMS's own error counters, gateway uptime. */
export function bmsDiagJson(w: JsonWriter, bms: BmsView, uptimeS: number): ArrayBuffer {
  w.clear().beginObject();
  w.key("uptime").number(uptimeS);
  w.key("rssi");
  if (bms.rssi === undefined) w.null(); else w.number(bms.rssi);
  w.key("connected").bool(bms.connected);
  w.key("link");
  writeLinkStats(w, bms.stats);
  w.key("frames");
  writeFrameStats(w, bms.frameStats);
  const login = bms.login;
  w.key("login").beginObject().members(joinText.call("\"kind\":", JSON.stringify(login.kind), ",\"ok\":", login.ok ? "true" : "false",
    ",\"problem\":", login.problem ? "true" : "false", ",\"outcome\":", JSON.stringify(login.outcome))).endObject();
  if (bms.errorCounters.count) {
    w.key("errorCounters").beginObject();
    writeErrorCounters(w, bms.errorCounters);
    w.endObject();
  }
  return w.endObject().payload;
}

// The diag is written every minute for every pack: its counters (always finite integers) go in one
// joinText call each, as the state's members do.
function writeFrameStats(w: JsonWriter, s: AssemblerStats): void {
  w.beginObject().members(joinText.call("\"received\":", s.frames, ",\"errorStatus\":", s.errorStatus,
    ",\"garbageBytes\":", s.garbageBytes, ",\"badHeader\":", s.badHeader, ",\"badEnd\":", s.badEnd,
    ",\"badChecksum\":", s.badChecksum, ",\"gapTimeouts\":", s.gapTimeouts, ",\"truncated\":", s.truncated,
    ",\"moduleFrames\":", s.moduleFrames)).endObject();
}

function writeLinkStats(w: JsonWriter, s: LinkStats): void {
  const latency = s.latency;
  w.beginObject().members(joinText.call("\"connects\":", s.connects, ",\"connectAttempts\":", s.connectAttempts,
    ",\"connectTimeouts\":", s.connectTimeouts, ",\"drops\":", s.drops, ",\"forcedDisconnects\":", s.forcedDisconnects,
    ",\"stackResets\":", s.stackResets, ",\"lastReconnectMs\":", s.lastReconnectMs, ",\"maxReconnectMs\":", s.maxReconnectMs,
    ",\"pollsOk\":", s.pollsOk, ",\"pollsFailed\":", s.pollsFailed, ",\"timeouts\":", s.timeouts, ",\"retries\":", s.retries,
    ",\"errorReplies\":", s.errorReplies, ",\"strays\":", s.strays,
    // before the first reply there is no latency: null, which Home Assistant's sensor shows as unknown, not 0 ms
    ",\"latency\":{\"count\":", latency.count,
    latency.count ? joinText.call(",\"min\":", latency.min, ",\"median\":", latency.median, ",\"max\":", latency.max, "}")
      : ",\"min\":null,\"median\":null,\"max\":null}")).endObject();
}

/** <gateway>/diag: uptime, number of BMS, MQTT statistics. */
export function gatewayDiagJson(w: JsonWriter, uptimeS: number, bmsCount: number, s: MqttStats, restartReason?: string, memory?: MemoryFigures): ArrayBuffer {
  w.clear().beginObject();
  w.key("uptime").number(uptimeS);
  w.key("bms").number(bmsCount);
  if (restartReason) w.key("restartReason").string(restartReason);
  // bytes, live after a collection; only where the build collects them (modules/platform/memory.ts)
  if (memory) {
    w.key("memory").beginObject();
    if (memory.freeBytes !== undefined) w.key("freeBytes").number(memory.freeBytes);
    if (memory.slotHeapBytes !== undefined) w.key("slotHeapBytes").number(memory.slotHeapBytes);
    if (memory.chunkHeapBytes !== undefined) w.key("chunkHeapBytes").number(memory.chunkHeapBytes);
    if (memory.stackBytes !== undefined) w.key("stackBytes").number(memory.stackBytes);
    w.endObject();
  }
  // counters (finite integers) in one joinText call, as the pack's diag writes its own
  w.key("mqtt").beginObject().members(joinText.call("\"connectAttempts\":", s.connectAttempts, ",\"connects\":", s.connects,
    ",\"connectTimeouts\":", s.connectTimeouts, ",\"disconnects\":", s.disconnects, ",\"publishes\":", s.publishes,
    ",\"publishFailures\":", s.publishFailures, ",\"publishesTooLarge\":", s.publishesTooLarge, ",\"messagesIn\":", s.messagesIn,
    ",\"malformedCommands\":", s.malformedCommands, ",\"oversizedPayloads\":", s.oversizedPayloads,
    ",\"replaysIgnored\":", s.replaysIgnored)).endObject();
  return w.endObject().payload;
}

/** <bms>/mos/result after the link's closed loop: what was asked, what the BMS reports now. */
export function mosResultJson(w: JsonWriter, r: MosResult): ArrayBuffer {
  w.clear().beginObject();
  w.key("fet").string(r.fet);
  w.key("requested").string(r.requested ? "ON" : "OFF");
  w.key("ok").bool(r.ok);
  if (r.error) w.key("error").string(r.error);
  if (r.command) w.key("command").string(r.command);
  if (r.charge !== undefined && r.discharge !== undefined) {
    w.key("mos").beginObject().key("charge").bool(r.charge).key("discharge").bool(r.discharge).endObject();
  }
  return w.endObject().payload;
}

/** {"function":"protection","ok":true,"before":{...},"after":{...}} or ok:false with the reason. */
export function maintenanceResultJson(w: JsonWriter, r: MaintenanceResult): ArrayBuffer {
  w.clear().beginObject().key("function").string(r.function).key("ok").bool(r.ok);
  if (r.error) w.key("error").string(r.error);
  if (r.before) writeFacts(w.key("before"), r.before);
  if (r.after) writeFacts(w.key("after"), r.after);
  return w.endObject().payload;
}

function writeFacts(w: JsonWriter, facts: MaintenanceFacts): void {
  w.beginObject();
  if (facts.soc !== undefined) w.key("soc").number(facts.soc);
  if (facts.remainingAh !== undefined) w.key("remainingCapacity").fixed(facts.remainingAh, 2);
  if (facts.protection !== undefined) w.key("protection").string(facts.protection);
  if (facts.errorCounters !== undefined) w.key("errorCounters").number(facts.errorCounters);
  w.endObject();
}

/** A command topic naming a BMS this gateway does not have (another gateway's, or a typo): for the gateway's error topic. */
export function unknownBmsJson(w: JsonWriter, topic: string, ids: readonly { readonly topics: { readonly id: string } }[]): ArrayBuffer {
  let known = "";
  for (const t of ids) known += (known ? ", " : "") + t.topics.id;
  w.clear().beginObject();
  w.key("topic").string(topic).key("ok").bool(false).key("error").string("unknown BMS in " + quoted(topic) + " (this gateway has: " + (known || "none") + ")");
  return w.endObject().payload;
}

/** A command refused before it reached the BMS; `fet`/`requested` when they were understood. */
export function refusalJson(w: JsonWriter, error: string, fet?: Fet, requested?: boolean): ArrayBuffer {
  w.clear().beginObject();
  if (fet) w.key("fet").string(fet);
  if (requested !== undefined) w.key("requested").string(requested ? "ON" : "OFF");
  w.key("ok").bool(false);
  w.key("error").string(error);
  return w.endObject().payload;
}

function twoDigits(value: number): string {
  return value < 10 ? "0" + value : String(value);
}
