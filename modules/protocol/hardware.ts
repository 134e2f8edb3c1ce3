// 0x05 hardware version: the model string as raw ASCII, length = payload length (no length prefix).
import { CMD_HARDWARE, MAX_PAYLOAD, PAYLOAD_OFFSET, STATUS_OK } from "./frame";

export class HardwareVersion {
  /** 0 until read. */
  length = 0;
  /** The first `length` bytes are the model string as sent. */
  readonly bytes = new Uint8Array(MAX_PAYLOAD);

  /** The model, up to a NUL some firmware pads with. Builds a string: call when publishing, not per frame. */
  text(): string {
    let text = "";
    for (let i = 0; i < this.length && this.bytes[i] !== 0; i++) text += String.fromCharCode(this.bytes[i]);
    return text;
  }
}

/** Decode a 0x05 reply into `out`. False (and `out` untouched) unless an OK 0x05 reply. */
export function decodeHardware(frame: Uint8Array, out: HardwareVersion): boolean {
  if (frame[1] !== CMD_HARDWARE || frame[2] !== STATUS_OK) return false;
  const length = frame[3];
  // A per-byte copy: a bulk set() would need a view of the payload, i.e. an allocation. Read once per link.
  const bytes = out.bytes;
  for (let i = 0; i < length; i++) bytes[i] = frame[PAYLOAD_OFFSET + i];
  out.length = length;
  return true;
}
