import { startXs } from "./lib/xs";
const xs = await startXs();
const r = await xs.run(`
const hex = "dd03001d0534000068c96d6000002c7c00000000000080600304030b6d0b6d0b69fab677";
const f = new Uint8Array(776); for (let i=0;i<hex.length/2;i++) f[i]=parseInt(hex.substr(2*i,2),16);
const words = new Uint32Array(f.buffer);
const mv = new Uint16Array(32);
const res = {};
function t(name, fn) { fn(); resetMeter(0,0); for (let i = 0; i < 100; i++) fn(); res[name] = resetMeter(0,0) / 100; }
t("nothing", () => {});
t("cellsLet2", () => { for (let i = 0, at = 4; i < 4; i++, at += 2) mv[i] = (f[at] << 8) | f[at + 1]; });
t("cellsWhile", () => { let i = 0, at = 4; const end = 12; while (at < end) { mv[i++] = (f[at] << 8) | f[at + 1]; at += 2; } });
t("cellsFor1", () => { for (let i = 0; i < 4; i++) mv[i] = (f[4 + 2 * i] << 8) | f[5 + 2 * i]; });
t("cellsDown", () => { let i = 4; while (i-- > 0) mv[i] = (f[4 + 2 * i] << 8) | f[5 + 2 * i]; });
t("cs2", () => { const end = 33, n = end >> 2; let all = 0, even = 0, k = 0;
  for (; k + 1 < n; k += 2) { const w0 = words[k]; const w1 = words[k + 1]; all += w0 + w1; even += (w0 & 0xff00ff) + (w1 & 0xff00ff); }
  if (k < n) { const w0 = words[k]; all += w0; even += w0 & 0xff00ff; }
  const odd = (all - even) / 256; let sum = (even & 0xffff) + (even >>> 16) + (odd & 0xffff) + (odd >>> 16) - f[0] - f[1];
  for (let i = n << 2; i < end; i++) sum += f[i]; return ((0x10000 - sum) & 0xffff) === ((f[end] << 8) | f[end + 1]); });
t("cs4pad", () => { const end = 33; let k = (end + 3) >> 2; let all = 0, even = 0;
  while (k >= 4) { const a = words[--k], b = words[--k], c = words[--k], d = words[--k]; all += a + b + c + d; even += (a & 0xff00ff) + (b & 0xff00ff) + (c & 0xff00ff) + (d & 0xff00ff); }
  while (k > 0) { const a = words[--k]; all += a; even += a & 0xff00ff; }
  const odd = (all - even) / 256; const hi = f[end], lo = f[end + 1];
  const pad = -end & 3; // bytes summed past end: the first \`pad\` of hi, lo, 0x77
  let sum = (even & 0xffff) + (even >>> 16) + (odd & 0xffff) + (odd >>> 16) - f[0] - f[1] - (pad > 0 ? hi : 0) - (pad > 1 ? lo : 0) - (pad > 2 ? 0x77 : 0);
  return ((0x10000 - sum) & 0xffff) === ((hi << 8) | lo); });
t("csBytes", () => { const end = 33; let s = 0; for (let i = 2; i < end; i++) s += f[i]; return ((0x10000 - s) & 0xffff) === ((f[end] << 8) | f[end + 1]); });
res.ok = [res.cs2 && true];
globalThis.__result = res;
`);
console.log(r.value);
await xs.close();
