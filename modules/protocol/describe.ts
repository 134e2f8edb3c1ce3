// Frames to JSON for people: the decode CLI and console captures. Every frame in the input becomes
// one JSON object: the decoded reading, or {"error": "..."} saying what is wrong. Not the hot path.
import { BasicInfo, MAX_NTC, decodeBasicInfo } from "./basic-info";
import { CellVoltages, MAX_CELLS, decodeCells } from "./cells";
import { ErrorCounters, MAX_ERROR_COUNTERS, decodeErrorCounters } from "./error-counters";
import { checkFrame } from "./frame-check";
import { CMD_BASIC_INFO, CMD_CELLS, CMD_ERROR_COUNTERS, CMD_HARDWARE, CMD_MOS, CMD_MOS_FB, FRAME_START, READ, WRITE,
  statusText } from "./frame";
import { HardwareVersion, decodeHardware } from "./hardware";
import { toHex } from "./hex";
import { JsonWriter, writeBasicInfo, writeCells, writeErrorCounters, writeHardware } from "./json";

const REGISTER_NAMES: Record<number, string> = Object.freeze({
  0x00: "enter factory mode", 0x01: "exit factory mode", 0x03: "basic info", 0x04: "cell voltages",
  0x05: "hardware version", 0x06: "BMS password", 0x07: "change BMS password", 0x09: "clear BMS password",
  0x0a: "control function", 0xa0: "manufacturer", 0xa1: "model", 0xa2: "barcode", 0xaa: "error counters",
  0xe1: "MOS control", 0xe3: "reset", 0xfa: "parameter read/write", 0xfb: "MOS control (0xFB)",
});

/** Registers whose replies are length-prefixed strings (RM; CAP). */
const STRING_REGISTERS = new Set([0xa0, 0xa1, 0xa2]);

const FFAA_COMMANDS: Record<number, string> = Object.freeze({
  0x07: "rename module", 0x15: "app key", 0x16: "change BLE password", 0x17: "random number",
  0x18: "password", 0x1d: "root password",
});

const FB_TARGET_NAMES: Record<number, string> = Object.freeze({ 0x00: "discharge", 0x01: "charge", 0x03: "preDischarge", 0x0a: "both" });

const byteHex = (value: number): string => "0x" + value.toString(16).padStart(2, "0");

function error(message: string): string {
  return new JsonWriter().beginObject().key("error").string(message).endObject().text;
}

/** One JSON text per frame (or run of non-frame bytes) in `bytes`. */
export function describeFrames(bytes: Uint8Array): string[] {
  const out: string[] = [];
  let at = 0;
  while (at < bytes.length) {
    const module = moduleFrameLength(bytes, at);
    if (module > 0) {
      out.push(describeModuleFrame(bytes.subarray(at, at + module)));
      at += module;
      continue;
    }
    const check = checkFrame(bytes, at);
    if (check.verdict === "ok") {
      out.push(describeFrame(bytes.subarray(at, at + check.length)));
      at += check.length;
      continue;
    }
    if (check.verdict === "notFrame" || check.verdict === "badHeader") {
      const next = bytes.indexOf(FRAME_START, at + 1);
      const end = next < 0 ? bytes.length : next;
      out.push(error(describeNotFrame(bytes, at, end)));
      at = end;
      continue;
    }
    const declared = check.length ? `length byte ${byteHex(bytes[at + 3])} = ${bytes[at + 3]} data bytes, ` +
      `so the frame is ${check.length} bytes` : "";
    if (check.verdict === "truncated") {
      out.push(error(check.length
        ? `truncated: have ${check.available} of ${check.length} bytes (${declared})`
        : `truncated: have ${check.available} bytes, a frame has at least 7`));
      break;
    }
    if (check.verdict === "badEnd") {
      const last = at + check.length - 1;
      out.push(error(`wrong end byte: byte ${check.length} is ${byteHex(bytes[last])}, expected 0x77 (${declared})`));
    } else {
      out.push(error(`bad checksum: expected 0x${check.expectedChecksum!.toString(16).padStart(4, "0")}, ` +
        `got 0x${check.foundChecksum!.toString(16).padStart(4, "0")}`));
    }
    at += check.length;
  }
  return out;
}

/** The length of a whole FF AA frame with a right sum at `at` (FF AA cmd len data... sum8), else 0. */
function moduleFrameLength(bytes: Uint8Array, at: number): number {
  if (bytes[at] !== 0xff || bytes[at + 1] !== 0xaa || at + 5 > bytes.length) return 0;
  const length = bytes[at + 3] + 5;
  if (at + length > bytes.length) return 0;
  let sum = 0;
  for (let i = at + 2; i < at + length - 1; i++) sum += bytes[i];
  return (sum & 0xff) === bytes[at + length - 1] ? length : 0;
}

/** App key reply byte (facts §4.7): 00 password required, 01 rejected, 02 no password. */
const APP_KEY_REPLIES: Record<number, string> = Object.freeze({ 0x00: "password required", 0x01: "rejected", 0x02: "no password" });

/**
 * An FF AA frame of the BLE module's login: which step, and what it says. A request and a reply look
 * alike; one data byte is a reply (the random byte for 0x17, else accepted/rejected). Derived
 * passwords are shown as their bytes, never decoded.
 */
function describeModuleFrame(frame: Uint8Array): string {
  const cmd = frame[2], len = frame[3];
  const w = new JsonWriter().beginObject();
  w.key("module").string(FFAA_COMMANDS[cmd] ?? `command ${byteHex(cmd)}`).key("cmd").string(byteHex(cmd));
  if (cmd === 0x17) {
    if (len === 0) w.key("request").bool(true); else w.key("random").number(frame[4]);
  } else if (len === 1) {
    w.key("reply").string(cmd === 0x15 ? APP_KEY_REPLIES[frame[4]] ?? byteHex(frame[4]) : frame[4] === 0 ? "accepted" : frame[4] === 1 ? "rejected" : byteHex(frame[4]));
  } else if (cmd === 0x15 || cmd === 0x07) {
    let text = "";
    for (let i = 4; i < 4 + len; i++) text += String.fromCharCode(frame[i]);
    w.key("request").string(text);
  } else {
    w.key("request").string(toHex(frame, 4, 4 + len));
  }
  return w.endObject().text;
}

function describeNotFrame(bytes: Uint8Array, start: number, end: number): string {
  const shown = toHex(bytes, start, Math.min(end, start + 24)) + (end - start > 24 ? "..." : "");
  if (bytes[start] === 0xff && bytes[start + 1] === 0xaa) {
    const command = FFAA_COMMANDS[bytes[start + 2]] ?? `command ${byteHex(bytes[start + 2] ?? 0)}`;
    return `not a JBD frame: ${shown} is the BLE module's own FF AA protocol (${command}), not a BMS frame`;
  }
  if (bytes[start] === FRAME_START) {
    return `not a JBD frame: 0xdd followed by ${byteHex(bytes[start + 1])} ${byteHex(bytes[start + 2])} is neither ` +
      `a reply (status 0x00, 0x80-0x83) nor a request (0xa5 read, 0x5a write): ${shown}`;
  }
  return `not a JBD frame: ${end - start} byte(s) ${shown} do not start with 0xdd`;
}

/** A frame whose length, end byte and checksum are right. */
export function describeFrame(frame: Uint8Array): string {
  const cmd = frame[1];
  const status = frame[2];
  const length = frame[3];
  if (cmd === READ || cmd === WRITE) return describeRequest(frame);
  const name = REGISTER_NAMES[cmd] ? ` (${REGISTER_NAMES[cmd]})` : "";
  if (status !== 0) return error(`error status ${byteHex(status)}: ${statusText(status)}, in reply to ${byteHex(cmd)}${name}`);
  const w = new JsonWriter().beginObject();
  switch (cmd) {
    case CMD_BASIC_INFO: {
      const info = new BasicInfo();
      if (!decodeBasicInfo(frame, info)) return error(basicInfoProblem(frame));
      writeBasicInfo(w.key("type").string("basicInfo"), info);
      break;
    }
    case CMD_CELLS: {
      const cells = new CellVoltages();
      if (!decodeCells(frame, cells)) return error(`0x04 payload of ${length} bytes is not 2 bytes for each of at most ${MAX_CELLS} cells`);
      writeCells(w.key("type").string("cells"), cells);
      break;
    }
    case CMD_HARDWARE: {
      const hardware = new HardwareVersion();
      decodeHardware(frame, hardware);
      writeHardware(w.key("type").string("hardware"), hardware);
      break;
    }
    case CMD_ERROR_COUNTERS: {
      const counters = new ErrorCounters();
      if (!decodeErrorCounters(frame, counters)) {
        return error(`0xaa payload of ${length} bytes is not 2 bytes for each of at most ${MAX_ERROR_COUNTERS} counters`);
      }
      writeErrorCounters(w.key("type").string("errorCounters"), counters);
      break;
    }
    default:
      describeOtherReply(w, frame);
  }
  return w.endObject().text;
}

function basicInfoProblem(frame: Uint8Array): string {
  const length = frame[3];
  if (length < 23) return `0x03 payload too short: ${length} bytes, at least 23`;
  const ntc = frame[26];
  if (ntc > MAX_NTC) return `0x03 reply claims ${ntc} temperature sensors, at most ${MAX_NTC}`;
  return `0x03 payload too short: ${length} bytes for ${ntc} temperature sensors, needs ${23 + 2 * ntc}`;
}

function describeOtherReply(w: JsonWriter, frame: Uint8Array): void {
  const cmd = frame[1];
  const length = frame[3];
  w.key("type").string(length === 0 ? "ack" : "reply").key("cmd").string(byteHex(cmd));
  if (REGISTER_NAMES[cmd]) w.key("meaning").string(REGISTER_NAMES[cmd]);
  if (length === 0) return;
  w.key("data").string(toHex(frame, 4, 4 + length));
  if (length === 2) w.key("value").number((frame[4] << 8) | frame[5]);
  if (STRING_REGISTERS.has(cmd) && frame[4] <= length - 1) {
    w.key("text").string(String.fromCharCode(...frame.subarray(5, 5 + frame[4])));
  }
}

function describeRequest(frame: Uint8Array): string {
  const reg = frame[2];
  const length = frame[3];
  const w = new JsonWriter().beginObject().key("type").string("request")
    .key("access").string(frame[1] === READ ? "read" : "write").key("register").string(byteHex(reg));
  if (REGISTER_NAMES[reg]) w.key("meaning").string(REGISTER_NAMES[reg]);
  w.key("data").string(toHex(frame, 4, 4 + length));
  if (frame[1] === WRITE && reg === CMD_MOS && length === 2) {
    // 0xE1 data bit set = FET off.
    w.key("mos").beginObject().key("charge").bool((frame[5] & 1) === 0).key("discharge").bool((frame[5] & 2) === 0)
      .endObject();
  }
  if (frame[1] === WRITE && reg === CMD_MOS_FB && length === 2) {
    w.key("fet").string(FB_TARGET_NAMES[frame[4]] ?? byteHex(frame[4])).key("on").bool(frame[5] === 0);
  }
  return w.endObject().text;
}
