// Login frames of the three JBD authentication generations (facts §4.7). Platform-free: runs on XS
// and Node. Nothing here is on the hot path: every builder returns a new, exactly-sized Uint8Array.
//
// 1. BMS password register (firmware 0x16-0x20): DD 5A 06 07 06 d1..d6 chk 77, digits as raw 0-9.
// 2. The BLE module's own "FF AA" protocol: FF AA cmd len data... sum8(cmd, len, data), no end byte.
//    App key (0x15), random byte (0x17), user password (0x18) and root password (0x1D) are XORed with
//    the module's MAC in printed order (a4:c1:... -> mac[0] = 0xA4) and offset by the random byte.
// 3. BLE passkey pairing: no frames, nothing here.
//
// Captured sessions (jbd-frames.json, esphome-jbd-bms docs/ffaa-auth-flow) are the test vectors.
import { buildRequest } from "./commands";
import { FFAA_OVERHEAD, FFAA_SECOND, FFAA_START } from "./frame";

export { FFAA_OVERHEAD, FFAA_SECOND, FFAA_START };

export const FFAA_RENAME = 0x07;
export const FFAA_APP_KEY = 0x15, FFAA_CHANGE_PASSWORD = 0x16, FFAA_RANDOM = 0x17, FFAA_USER_PASSWORD = 0x18, FFAA_ROOT_PASSWORD = 0x1d;
/** App-key reply byte: */
export const APP_KEY_PASSWORD_REQUIRED = 0x00, APP_KEY_REJECTED = 0x01, APP_KEY_NO_PASSWORD = 0x02;
/** Reply byte of 0x16, 0x18 and 0x1D: */
export const FFAA_ACCEPTED = 0x00, FFAA_REJECTED = 0x01;
export const ROOT_PASSWORD = "JBDbtpwd!@#2023";
/** What the official app and esphome-jbd-bms send as the app key. */
export const DEFAULT_APP_KEY = "000000";

/** BMS registers of generation 1 (V11 §8, JBD_REGISTER_MAP.md). */
export const CMD_USE_PASSWORD = 0x06;
export const CMD_SET_PASSWORD = 0x07;
export const CMD_CLEAR_PASSWORD = 0x09;
/** The string the stock firmware always accepts on register 0x09. */
export const CLEAR_PASSWORD_KEY = "J1B2D4";

/** 8-bit sum of bytes[start, end). */
export function sum8(bytes: ArrayLike<number>, start: number, end: number): number {
  let sum = 0;
  for (let i = start; i < end; i++) sum += bytes[i];
  return sum & 0xff;
}

/** FF AA cmd len data... sum8(cmd, len, data) */
export function moduleRequest(cmd: number, data: ArrayLike<number>): Uint8Array {
  if (!(cmd >= 0 && cmd <= 0xff)) throw new RangeError(`command ${cmd} is not a byte`);
  if (data.length > 0xff) throw new RangeError(`${data.length} data bytes, at most 255`);
  const frame = new Uint8Array(data.length + FFAA_OVERHEAD);
  frame[0] = FFAA_START;
  frame[1] = FFAA_SECOND;
  frame[2] = cmd;
  frame[3] = data.length;
  for (let i = 0; i < data.length; i++) {
    if (!(data[i] >= 0 && data[i] <= 0xff)) throw new RangeError(`data byte ${data[i]} is not a byte`);
    frame[4 + i] = data[i];
  }
  frame[4 + data.length] = sum8(frame, 2, 4 + data.length);
  return frame;
}

/** Whether bytes[start, start + length) is one whole FF AA frame with a right sum. */
export function isModuleFrame(bytes: ArrayLike<number>, start = 0, length = bytes.length - start): boolean {
  if (length < FFAA_OVERHEAD || bytes[start] !== FFAA_START || bytes[start + 1] !== FFAA_SECOND) return false;
  const len = bytes[start + 3];
  if (length !== len + FFAA_OVERHEAD) return false;
  return sum8(bytes, start + 2, start + 4 + len) === bytes[start + 4 + len];
}

function ascii(text: string): number[] {
  const codes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0x7f) throw new RangeError(`'${text}' is not ASCII`);
    codes.push(code);
  }
  return codes;
}

export function appKeyRequest(appKey: string = DEFAULT_APP_KEY): Uint8Array {
  if (!isModulePassword(appKey)) throw new RangeError("an app key is six letters or digits");
  return moduleRequest(FFAA_APP_KEY, ascii(appKey));
}

export function randomRequest(): Uint8Array {
  return moduleRequest(FFAA_RANDOM, []);
}

function checkMac(mac: Uint8Array): void {
  if (mac.length !== 6) throw new RangeError(`a MAC has 6 bytes, not ${mac.length}`);
}

function checkRandom(random: number): void {
  if (!(Number.isInteger(random) && random >= 0 && random <= 0xff)) throw new RangeError(`random ${random} is not a byte`);
}

/** The 0x18 data: pw[i] = ((mac[i] ^ ascii[i]) + random) & 0xFF. */
export function encodePassword(text: string, mac: Uint8Array, random: number): number[] {
  checkMac(mac);
  checkRandom(random);
  return ascii(text).map((code, i) => (((i < 6 ? mac[i] : 0) ^ code) + random) & 0xff);
}

/** The text a 0x18 / 0x1D data block was made from, given the MAC and the random byte (the decoder's inverse). */
export function decodePassword(data: ArrayLike<number>, mac: Uint8Array, random: number): string {
  checkMac(mac);
  checkRandom(random);
  let text = "";
  for (let i = 0; i < data.length; i++) text += String.fromCharCode(((data[i] - random) & 0xff) ^ (i < 6 ? mac[i] : 0));
  return text;
}

/** pw[i] = ((mac[i] ^ ascii[i]) + random) & 0xFF; mac in printed order (a4:c1:... → mac[0] = 0xA4). */
export function userPasswordRequest(password: string, mac: Uint8Array, random: number): Uint8Array {
  if (!isModulePassword(password)) throw new RangeError("a module password is six letters or digits");
  return moduleRequest(FFAA_USER_PASSWORD, encodePassword(password, mac, random));
}

/** 15 bytes (root[i] ^ mac[i]) + random, mac[i] = 0 beyond byte 6. */
export function rootPasswordRequest(mac: Uint8Array, random: number, root: string = ROOT_PASSWORD): Uint8Array {
  if (root.length === 0 || root.length > 0xff) throw new RangeError("a root password has 1..255 characters");
  return moduleRequest(FFAA_ROOT_PASSWORD, encodePassword(root, mac, random));
}

/** 0x16: the new user password, in clear (as the app sends it, after the login). */
export function changePasswordRequest(password: string): Uint8Array {
  if (!isModulePassword(password)) throw new RangeError("a module password is six letters or digits");
  return moduleRequest(FFAA_CHANGE_PASSWORD, ascii(password));
}

function digitValues(digits: string): number[] {
  if (!isBmsPassword(digits)) throw new RangeError("a BMS password is six digits");
  return ascii(digits).map((code) => code - 0x30);
}

function toBytes(buffer: ArrayBuffer): Uint8Array {
  return new Uint8Array(buffer);
}

/** DD 5A 06 07 06 d1..d6 chk 77 (digits as raw values 0-9). */
export function bmsPasswordRequest(digits: string): Uint8Array {
  return toBytes(buildRequest(true, CMD_USE_PASSWORD, [6, ...digitValues(digits)]));
}

/** DD 5A 07 0D 0C old1..old6 new1..new6 chk 77 (V11 §8.1 "change password"). */
export function changeBmsPasswordRequest(oldDigits: string, newDigits: string): Uint8Array {
  return toBytes(buildRequest(true, CMD_SET_PASSWORD, [12, ...digitValues(oldDigits), ...digitValues(newDigits)]));
}

/** DD 5A 09 07 06 'J1B2D4' chk 77 (as the app writes it after root login). */
export function clearPasswordRequest(): Uint8Array {
  return toBytes(buildRequest(true, CMD_CLEAR_PASSWORD, [6, ...ascii(CLEAR_PASSWORD_KEY)]));
}

function isCharIn(code: number, low: number, high: number): boolean {
  return code >= low && code <= high;
}

/**
 * Six ASCII characters a module or BMS password may be (say which: digits for the BMS register).
 * Module (FF AA) password: six letters or digits, as esphome-jbd-bms validates `password:` (its
 * `validate_password`: 0-9, a-z, A-Z). BMS register 0x06: six digits, each sent as its value 0-9.
 */
export function isModulePassword(text: string): boolean {
  if (text.length !== 6) return false;
  for (let i = 0; i < 6; i++) {
    const code = text.charCodeAt(i);
    if (!(isCharIn(code, 0x30, 0x39) || isCharIn(code, 0x41, 0x5a) || isCharIn(code, 0x61, 0x7a))) return false;
  }
  return true;
}

export function isBmsPassword(text: string): boolean {
  if (text.length !== 6) return false;
  for (let i = 0; i < 6; i++) if (!isCharIn(text.charCodeAt(i), 0x30, 0x39)) return false;
  return true;
}

function hexValue(code: number): number {
  if (isCharIn(code, 0x30, 0x39)) return code - 0x30;
  if (isCharIn(code, 0x41, 0x46)) return code - 0x41 + 10;
  if (isCharIn(code, 0x61, 0x66)) return code - 0x61 + 10;
  return -1;
}

/** "a4:c1:38:5a:00:01" → 6 bytes in printed order; undefined if not a MAC. Also takes '-' separators. */
export function macBytes(address: string): Uint8Array | undefined {
  if (address.length !== 17) return undefined;
  const separator = address.charCodeAt(2);
  if (separator !== 0x3a && separator !== 0x2d) return undefined;
  const mac = new Uint8Array(6);
  for (let i = 0; i < 6; i++) {
    const at = i * 3;
    if (i > 0 && address.charCodeAt(at - 1) !== separator) return undefined;
    const high = hexValue(address.charCodeAt(at));
    const low = hexValue(address.charCodeAt(at + 1));
    if (high < 0 || low < 0) return undefined;
    mac[i] = high * 16 + low;
  }
  return mac;
}
