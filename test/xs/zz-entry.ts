import { FrameAssembler } from "../../modules/protocol/assembler";
import { parseHex } from "../../modules/protocol/hex";
import { BasicInfo, decodeBasicInfo } from "../../modules/protocol/basic-info";
import { CellVoltages, decodeCells } from "../../modules/protocol/cells";
declare function resetMeter(limit: number, index: number): number;
const hex = ["dd03001d0534000068c96d6000002c7c00000000", "000080600304030b6d0b6d0b69fab677", "dd0400080d030d010d030d02ffbb77"];
const chunks = hex.map((h) => parseHex(h) as Uint8Array);
const f3 = parseHex(hex[0] + hex[1]) as Uint8Array, f4 = chunks[2];
const info = new BasicInfo(), cells = new CellVoltages();
const a = new FrameAssembler({ onFrame() {} });
export function cost(which: number, n: number): number {
  let now = 0;
  for (let k = 0; k < 10; k++) { for (let i = 0; i < 3; i++) a.push(chunks[i], now++); decodeBasicInfo(f3, info); decodeCells(f4, cells); }
  resetMeter(0, 0);
  if (which === 0) for (let k = 0; k < n; k++) for (let i = 0; i < 3; i++) a.push(chunks[i], now++);
  if (which === 1) for (let k = 0; k < n; k++) for (let i = 0; i < 3; i++) {}
  if (which === 2) for (let k = 0; k < n; k++) decodeBasicInfo(f3, info);
  if (which === 3) for (let k = 0; k < n; k++) decodeCells(f4, cells);
  if (which === 4) for (let k = 0; k < n; k++) {}
  return resetMeter(0, 0) / n;
}
