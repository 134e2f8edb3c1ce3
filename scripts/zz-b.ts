import { bundleForXs } from "./lib/xs";
console.log(await bundleForXs("test/xs/zz-entry.ts", { globalName: "Z" }));
