import { startXs } from "./lib/xs";
const xs = await startXs();
const r = await xs.run(`
const hex = "dd03001d0534000068c96d6000002c7c00000000000080600304030b6d0b6d0b69fab677";
const f = new Uint8Array(776); for (let i=0;i<hex.length/2;i++) f[i]=parseInt(hex.substr(2*i,2),16);
const w32 = new Uint32Array(f.buffer);
class K {
  #bytes = f; #words = w32;
  cs(length) {
    const bytes = this.#bytes;
    const words = this.#words;
    const end = length - 3;
    const wholeWords = end >> 2;
    let all = 0;
    let even = 0;
    let k = 0;
    for (; k + 1 < wholeWords; k += 2) {
      const w0 = words[k];
      const w1 = words[k + 1];
      all += w0 + w1;
      even += (w0 & 0xff00ff) + (w1 & 0xff00ff);
    }
    if (k < wholeWords) {
      const w0 = words[k];
      all += w0;
      even += w0 & 0xff00ff;
    }
    const odd = (all - even) / 256;
    let sum = (even & 0xffff) + (even >>> 16) + (odd & 0xffff) + (odd >>> 16) - bytes[0] - bytes[1];
    for (let i = wholeWords << 2; i < end; i++) sum += bytes[i];
    return ((0x10000 - sum) & 0xffff) === ((bytes[end] << 8) | bytes[end + 1]);
  }
  loopOnly(length) {
    const words = this.#words;
    const wholeWords = (length - 3) >> 2;
    let all = 0; let even = 0; let k = 0;
    for (; k + 1 < wholeWords; k += 2) {
      const w0 = words[k];
      const w1 = words[k + 1];
      all += w0 + w1;
      even += (w0 & 0xff00ff) + (w1 & 0xff00ff);
    }
  }
  loopOnlySmall(length) {
    const words = this.#words;
    const wholeWords = (length - 3) >> 2;
    let all = 0; let even = 0; let k = 0;
    for (; k + 1 < wholeWords; k += 2) {
      const w0 = words[k] & 0xffff;
      const w1 = words[k + 1] & 0xffff;
      all += w0 + w1;
      even += (w0 & 0xff00ff) + (w1 & 0xff00ff);
    }
  }
  empty(length) {}
}
const k = new K();
const res = {};
function t(name, fn) { fn(); resetMeter(0,0); for (let i = 0; i < 100; i++) fn(); res[name] = resetMeter(0,0) / 100; }
t("empty", () => k.empty(36));
t("cs36", () => k.cs(36));
t("cs15", () => k.cs(15));
t("loop36", () => k.loopOnly(36));
t("loopSmall36", () => k.loopOnlySmall(36));
res.ok = k.cs(36);
globalThis.__result = res;
`);
console.log(r.value);
await xs.close();
