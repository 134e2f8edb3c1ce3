// Reassembles JBD frames from BLE notifications without allocating.
//
// Length-driven: a frame starts with 0xDD and is (length byte + 7) bytes long, whatever the
// notification boundaries. The BLE module's own replies (FF AA login, facts §4.7) come on the same
// notifications: FF AA cmd len data... sum8, (len + 5) bytes, no end byte; they go to onModuleFrame.
// Each notification is copied once into a preallocated staging buffer; frames are validated in place
// at offset 0 and handed to the sink. Bytes only move (one native copyWithin) when a notification
// holds garbage before a frame or more than one frame.
// Any rejected candidate loses only its first byte: the held bytes are searched again for the next
// start (0xDD, or 0xFF 0xAA), so a frame hidden behind a false start is not lost. A 0xFF that is the
// last byte held is kept until the next byte says whether 0xAA follows.
import { FFAA_OVERHEAD, FFAA_SECOND, FFAA_START, FRAME_END, FRAME_OVERHEAD, FRAME_START, MAX_FRAME, STATUS_OK, isFrameHeader } from "./frame";

export interface FrameSink {
  /**
   * `frame` is the assembler's own buffer, valid only during the call: frame[1] = cmd, frame[2] = status,
   * frame[3] = payload length, payload at offset 4, `length` bytes in all. Called for every frame whose
   * length, end byte and checksum are right, error-status replies included.
   */
  onFrame(frame: Uint8Array, length: number): void;
  /**
   * An FF AA frame of the BLE module whose sum is right: frame[2] = cmd, frame[3] = data length, data at
   * offset 4, `length` (= frame[3] + 5) bytes in all; the assembler's own buffer, valid only during the
   * call. Echoed FF AA requests (modules that echo writes) come here too. Without this method module
   * frames are counted (stats.moduleFrames) and dropped, their bytes as garbage.
   */
  onModuleFrame?(frame: Uint8Array, length: number): void;
}

/**
 * The longest notification a link can carry: ATT MTU − 3, and the ESP32's NimBLE offers an MTU of 256
 * at most (CONFIG_BT_NIMBLE_ATT_PREFERRED_MTU in the SDK's esp32 sdkconfig.defaults; the firmware never
 * asks for another), so a peer's exchange cannot go higher. Longer pushes (logs, captures) are split.
 * (512, the ATT maximum, cost 259 bytes more staging per link.)
 */
export const MAX_NOTIFICATION = 253;

// One partial frame + one notification + two spare bytes for the search sentinels, rounded up to
// whole 32-bit words for the checksum.
const STAGING_SIZE = (MAX_FRAME - 1 + MAX_NOTIFICATION + 2 + 3) & ~3;

/** Counters, every byte received ends up in exactly one of: a delivered frame (module frames too, when
 *  the sink takes them), garbageBytes, discardedBytes, or `FrameAssembler.pending`. */
export class AssemblerStats {
  /** Bytes received. */
  bytes = 0;
  /** Frames delivered (right length, end byte and checksum), error-status replies included. */
  frames = 0;
  /** Delivered frames whose status byte is not 0. */
  errorStatus = 0;
  /** FF AA frames of the BLE module with a right sum (not in `frames`), delivered or, without
   *  onModuleFrame, dropped. */
  moduleFrames = 0;
  /** Bytes that belong to no frame: before a start, after a frame, a 0xDD without a JBD header, a 0xFF
   *  without 0xAA after it, and module frames the sink does not take. */
  garbageBytes = 0;
  /** 0xDD bytes not followed by a JBD header (see isFrameHeader). */
  badHeader = 0;
  /** Complete frames whose last byte is not 0x77. */
  badEnd = 0;
  /** Complete frames whose checksum (JBD) or sum (FF AA) does not match. */
  badChecksum = 0;
  /** Partial frames dropped because the next notification came too late. */
  gapTimeouts = 0;
  /** Partial frames dropped by reset() (link lost mid-frame). */
  truncated = 0;
  /** Bytes of frames rejected or dropped for one of the four reasons above. */
  discardedBytes = 0;

  clear(): void {
    this.bytes = this.frames = this.errorStatus = this.moduleFrames = this.garbageBytes = this.badHeader = 0;
    this.badEnd = this.badChecksum = this.gapTimeouts = this.truncated = this.discardedBytes = 0;
  }
}

export class FrameAssembler {
  readonly stats = new AssemblerStats();
  readonly #sink: FrameSink;
  readonly #gapMs: number;
  readonly #bytes = new Uint8Array(STAGING_SIZE);
  readonly #words = new Uint32Array(this.#bytes.buffer);
  /** Bytes held; when non-zero, #bytes[0] is 0xDD or 0xFF and the candidate frame is incomplete. */
  #have = 0;
  /** Length of the candidate frame once its header has been checked, else 0. */
  #length = 0;
  #lastMs = 0;

  constructor(sink: FrameSink, gapMs = 200) {
    this.#sink = sink;
    this.#gapMs = gapMs;
  }

  /** Bytes held for an incomplete frame. */
  get pending(): number { return this.#have; }

  /**
   * One notification received at `nowMs` (any monotonic millisecond clock). An ArrayBuffer (a
   * platform without typed notifications) is taken too, through a view made for it.
   */
  push(chunk: Uint8Array | ArrayBuffer, nowMs: number): void {
    // an ArrayBuffer has no length: the one test finds both it and a push longer than a notification
    const n = (chunk as Uint8Array).length;
    if (!(n <= MAX_NOTIFICATION)) {
      if (n === undefined) this.pushUntyped(chunk as ArrayBuffer, nowMs);
      else this.pushInPieces(chunk as Uint8Array, nowMs);
      return;
    }
    this.stats.bytes += n;
    const bytes = this.#bytes;
    let have = this.#have;
    if (have !== 0) {
      const gap = nowMs - this.#lastMs;
      if (gap > this.#gapMs || gap < 0) {
        this.expire();
        have = 0;
      }
    }
    this.#lastMs = nowMs;
    bytes.set(chunk as Uint8Array, have);
    this.#have = have + n;
    // Looking for a frame start: a notification that begins with one (nearly all) is not searched.
    if (have === 0 && n !== 0 && bytes[0] !== FRAME_START && bytes[0] !== FFAA_START) {
      this.stats.garbageBytes += this.shiftToNextStart(1);
    }
    this.drain();
  }

  /** Drop any partial frame (link lost). */
  reset(): void {
    if (this.#have === 0) return;
    if (this.loneStart()) {
      this.stats.garbageBytes++;
      this.#have = 0;
      return;
    }
    this.stats.truncated++;
    this.stats.discardedBytes += this.#have;
    this.#have = this.#length = 0;
  }

  // Deliver or reject every complete candidate held; stop at an incomplete one.
  private drain(): void {
    const bytes = this.#bytes;
    const stats = this.stats;
    for (;;) {
      const have = this.#have;
      let length = this.#length;
      if (length === 0) {
        // The header is checked once per candidate, as soon as its first four bytes are in. With
        // nothing held, bytes[0] is stale, but either branch returns for want of bytes.
        if (bytes[0] === FFAA_START) {
          if (have < 2) return;
          if (bytes[1] !== FFAA_SECOND) {
            stats.garbageBytes += this.shiftToNextStart(1);
            continue;
          }
          if (have < 4) return;
          length = this.#length = bytes[3] + FFAA_OVERHEAD;
        } else {
          if (have < 3) return;
          // status 0 (nearly every frame) is a header without the call
          if (bytes[2] !== STATUS_OK && !isFrameHeader(bytes[1], bytes[2])) {
            stats.badHeader++;
            stats.garbageBytes += this.shiftToNextStart(1);
            continue;
          }
          if (have < 4) return;
          length = this.#length = bytes[3] + FRAME_OVERHEAD;
        }
      }
      if (have < length) return;
      this.#length = 0;
      if (bytes[0] === FFAA_START) {
        if (!this.moduleSumMatches(length)) {
          stats.badChecksum++;
          stats.discardedBytes += this.shiftToNextStart(1);
          continue;
        }
        stats.moduleFrames++;
        const sink = this.#sink;
        if (sink.onModuleFrame) sink.onModuleFrame(bytes, length);
        else stats.garbageBytes += length;
        if (have === length) {
          this.#have = 0;
          return;
        }
        stats.garbageBytes += this.shiftToNextStart(length) - length;
      } else if (bytes[length - 1] !== FRAME_END) {
        stats.badEnd++;
        stats.discardedBytes += this.shiftToNextStart(1);
      } else if (!this.checksumMatches(length)) {
        stats.badChecksum++;
        stats.discardedBytes += this.shiftToNextStart(1);
      } else {
        stats.frames++;
        if (bytes[2] !== 0) stats.errorStatus++;
        this.#sink.onFrame(bytes, length);
        if (have === length) {
          this.#have = 0;
          return;
        }
        stats.garbageBytes += this.shiftToNextStart(length) - length;
      }
    }
  }

  // Move the first start at or after `from` to offset 0 (dropping what precedes it); return how many
  // bytes were dropped. A start is 0xDD, or 0xFF followed by 0xAA or last of the held bytes. Sentinels
  // (0xDD, then 0xFF) just past the held bytes bound the native searches.
  private shiftToNextStart(from: number): number {
    const bytes = this.#bytes;
    const have = this.#have;
    this.#length = 0;
    bytes[have] = FRAME_START;
    bytes[have + 1] = FFAA_START;
    let next = bytes.indexOf(FRAME_START, from);
    if (next > from) {
      for (let ff = bytes.indexOf(FFAA_START, from); ff < next; ff = bytes.indexOf(FFAA_START, ff + 1)) {
        if (ff === have - 1 || bytes[ff + 1] === FFAA_SECOND) {
          next = ff;
          break;
        }
      }
    }
    if (next < have) bytes.copyWithin(0, next, have);
    this.#have = have - next;
    return next;
  }

  // A 0xFF alone, waiting to see whether 0xAA follows: garbage, not a partial frame, when dropped.
  private loneStart(): boolean {
    return this.#have === 1 && this.#bytes[0] === FFAA_START;
  }

  // The candidate held is stale: drop it, but deliver any complete frame found behind it (a false
  // start can hide one), then drop whatever is still incomplete.
  private expire(): void {
    while (this.#have > 0) {
      if (this.loneStart()) {
        this.stats.garbageBytes++;
        this.#have = 0;
        return;
      }
      this.stats.gapTimeouts++;
      this.stats.discardedBytes += this.shiftToNextStart(1);
      this.drain();
    }
  }

  // The checksum covers bytes [2, length - 3). A byte sum does not depend on byte order, so the frame
  // is read as 32-bit words, two at a time, in two sums: `all` of the words and `even` of the words
  // masked with 0x00FF00FF (bytes 0 and 2 of each word, as two 16-bit lanes). all - even is bytes 1
  // and 3, shifted up by 8 bits. No lane can carry: 65 words * 255 < 2^16. Bytes 0-1 of the frame
  // (start, cmd) are summed with the rest and subtracted. About 40 % of a per-byte loop's cost on XS.
  private checksumMatches(length: number): boolean {
    const bytes = this.#bytes;
    const words = this.#words;
    const end = length - 3;
    const wholeWords = end >> 2;
    // (the loop in XS's cheapest measured shape: locals outside it, its bound computed once)
    let all = 0, even = 0, k = 0, w0 = 0, w1 = 0;
    const pairsEnd = wholeWords - 1;
    while (k < pairsEnd) {
      w0 = words[k];
      w1 = words[k + 1];
      all += w0 + w1;
      even += (w0 & 0xff00ff) + (w1 & 0xff00ff);
      k += 2;
    }
    if (k < wholeWords) {
      w0 = words[k];
      all += w0;
      even += w0 & 0xff00ff;
    }
    const odd = (all - even) / 256;
    let sum = (even & 0xffff) + (even >>> 16) + (odd & 0xffff) + (odd >>> 16) - bytes[0] - bytes[1];
    for (let i = wholeWords << 2; i < end; i++) sum += bytes[i];
    return ((0x10000 - sum) & 0xffff) === ((bytes[end] << 8) | bytes[end + 1]);
  }

  // FF AA frames: an 8-bit sum over cmd, len and data, in the last byte. Short frames: a plain loop.
  private moduleSumMatches(length: number): boolean {
    const bytes = this.#bytes;
    let sum = 0;
    for (let i = 2; i < length - 1; i++) sum += bytes[i];
    return (sum & 0xff) === bytes[length - 1];
  }

  // Only where the platform hands notifications over untyped (the manifest's bleservices typing is
  // missing): a view per notification.
  private pushUntyped(buffer: ArrayBuffer, nowMs: number): void {
    this.push(new Uint8Array(buffer), nowMs);
  }

  // Only for pushes longer than any notification (logs, serial captures): views allocate here.
  private pushInPieces(chunk: Uint8Array, nowMs: number): void {
    for (let offset = 0; offset < chunk.length; offset += MAX_NOTIFICATION) {
      this.push(chunk.subarray(offset, Math.min(chunk.length, offset + MAX_NOTIFICATION)), nowMs);
    }
  }
}
