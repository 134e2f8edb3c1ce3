import { bundleForXs, startXs } from "./lib/xs";
const code = await bundleForXs("test/xs/zz-entry.ts", { globalName: "Z" });
const xs = await startXs();
await xs.run(code);
const [asm, loop3, d3, d4, loop1] = (await xs.run(`globalThis.__result = [0,1,2,3,4].map(i => Z.cost(i, 1000))`)).value as number[];
console.log({ assembler: asm - loop3, decode03: d3 - loop1, decode04: d4 - loop1, loop3, loop1 });
await xs.close();
