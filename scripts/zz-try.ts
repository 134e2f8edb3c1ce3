import { bundleForXs, startXs } from "./lib/xs";
const code = await bundleForXs("test/xs/workload.ts", { globalName: "W" });
const xs = await startXs();
await xs.run(code);
const c03 = ["dd03001d0534000068c96d6000002c7c00000000", "000080600304030b6d0b6d0b69fab677"];
const c04 = ["dd0400080d030d010d030d02ffbb77"];
await xs.run(`W.prepare(${JSON.stringify([...c03, ...c04])}, ${JSON.stringify([c03.join(""), c04[0]])}); W.run("core", 100); W.run("reference", 100); W.run("decoders", 100);`);
for (const w of ["core", "decoders", "reference", "control"]) {
  const r = await xs.run(`globalThis.__result = W.compute("${w}", 1000)`);
  console.log(w, "compute/cycle", (r.value as number) / 1000);
}
for (const w of ["core", "decoders", "reference", "control"]) {
  const hc: number[] = [];
  for (const n of [0, 10000, 0]) {
    await xs.run(`globalThis.N = ${n}`);
    const r = await xs.run(`gc(); W.run("${w}", N);`);
    hc.push(r.meter.currentHeapCount);
  }
  console.log(w, "heap", hc, "alloc", hc[1] - hc[0] - (hc[2] - hc[0]) / 2);
}
for (const w of ["core", "decoders", "reference"]) {
  const r = await xs.run(`globalThis.__result = W.allocatingCalls("${w}", 10)`);
  console.log(w, JSON.stringify(r.value));
}
for (const w of ["core", "reference"]) {
  const r = await xs.run(`globalThis.__result = W.wallTime("${w}", 50000)`);
  console.log(w, "wall ms 50000 cycles", r.value);
}
console.log((await xs.run(`globalThis.__result = W.counts()`)).value);
await xs.close();
