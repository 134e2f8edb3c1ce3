import { startXs } from "./lib/xs";
const xs = await startXs();
const r = await xs.run(`
const f = new Uint8Array(64); for (let i=0;i<64;i++) f[i]=i*3;
const o = {a:0,b:0,c:0};
class C { #x = 0; y = 0; get g() { return this.y; } m(a) { return a; } #p(a) { return a; } callP(a) { return this.#p(a); } setX(v) { this.#x = v; } }
const c = new C();
const w = new Uint32Array(f.buffer);
const dv = new DataView(f.buffer);
const res = {};
function t(name, fn) { resetMeter(0,0); fn(); res[name] = resetMeter(0,0); }
t("empty", () => {});
t("read1", () => { let x = f[4]; });
t("u16", () => { let x = (f[4] << 8) | f[5]; });
t("u16set", () => { o.a = (f[4] << 8) | f[5]; });
t("dvget", () => { o.a = dv.getUint16(4); });
t("w32", () => { let x = w[3]; });
t("loop10", () => { for (let i = 0; i < 10; i++) {} });
t("sum10", () => { let s = 0; for (let i = 0; i < 10; i++) s += f[i]; });
t("privset", () => { c.setX(5); });
t("method", () => { c.m(1); });
t("privcall", () => { c.callP(1); });
t("getter", () => { let x = c.g; });
t("set20", () => { f.set(w.subarray(0,0), 0); });
t("indexOf0", () => { f.indexOf(0); });
t("copyWithin10", () => { f.copyWithin(0, 10, 20); });
const s20 = new Uint8Array(20);
t("set20b", () => { f.set(s20, 3); });
t("len", () => { let x = s20.length; });
globalThis.__result = res;
`);
console.log(r.value);
await xs.close();
