// The benchmark's baseline: a notification handler written the way the seed Python gateway works
// (bytearray buffer, `del buf[0]` to skip garbage, `bytes(buf[:n])` to copy a frame out, struct
// unpacking into a fresh dict, end byte checked but no checksum). Same JavaScript engine, same chunks.

export interface ReferenceBasicInfo {
  voltage: number; current: number; remainingCapacity: number; nominalCapacity: number; cycles: number;
  productionDate: number; balance: number; protection: number; softwareVersion: number; soc: number;
  fet: number; cellCount: number; temperatures: number[];
}

export class ReferenceParser {
  buffer = new Uint8Array(0);
  info: ReferenceBasicInfo | undefined;
  cells: number[] = [];
  frames = 0;

  push(chunk: Uint8Array): void {
    // self.buffer += data
    const grown = new Uint8Array(this.buffer.length + chunk.length);
    grown.set(this.buffer);
    grown.set(chunk, this.buffer.length);
    this.buffer = grown;
    // while buf and buf[0] != 0xDD: del buf[0]
    while (this.buffer.length > 0 && this.buffer[0] !== 0xdd) this.buffer = this.buffer.slice(1);
    while (this.buffer.length >= 4) {
      const total = this.buffer[3] + 7;
      if (this.buffer.length < total) return;
      const frame = this.buffer.slice(0, total);
      this.buffer = this.buffer.slice(total);
      if (frame[total - 1] !== 0x77) continue;
      this.frames++;
      if (frame[1] === 0x03) this.info = parseBasicInfo(frame);
      else if (frame[1] === 0x04) this.cells = parseCells(frame);
    }
  }
}

function parseBasicInfo(frame: Uint8Array): ReferenceBasicInfo {
  const view = new DataView(frame.buffer);
  const ntc = view.getUint8(26);
  const temperatures: number[] = [];
  for (let i = 0; i < ntc; i++) temperatures.push((view.getUint16(27 + 2 * i) - 2731) / 10);
  return {
    voltage: view.getUint16(4) / 100,
    current: view.getInt16(6) / 100,
    remainingCapacity: view.getUint16(8) / 100,
    nominalCapacity: view.getUint16(10) / 100,
    cycles: view.getUint16(12),
    productionDate: view.getUint16(14),
    balance: view.getUint16(16) | (view.getUint16(18) << 16),
    protection: view.getUint16(20),
    softwareVersion: view.getUint8(22),
    soc: view.getUint8(23),
    fet: view.getUint8(24),
    cellCount: view.getUint8(25),
    temperatures,
  };
}

function parseCells(frame: Uint8Array): number[] {
  const view = new DataView(frame.buffer);
  const cells: number[] = [];
  for (let i = 0; i < frame[3] / 2; i++) cells.push(view.getUint16(4 + 2 * i) / 1000);
  return cells;
}
