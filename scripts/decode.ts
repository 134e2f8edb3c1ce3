// Decode JBD frames pasted from logs: `npm run decode -- <hex> [<hex> ...]`, or hex lines on stdin.
// Prints one JSON object per frame: the decoded fields, or {"error": "..."}. Exit status 1 if any error.
// An argument may hold several frames; single-byte arguments (`dd a5 03 00 ff fd 77` unquoted) are
// joined into one sequence.
import { createInterface } from "node:readline";
import { describeFrames } from "../modules/protocol/describe";
import { parseHex } from "../modules/protocol/hex";

let failed = false;

function decodeText(text: string): void {
  const bytes = parseHex(text);
  const lines = typeof bytes === "string"
    ? [JSON.stringify({ error: `${bytes}: ${JSON.stringify(text.trim())}` })]
    : describeFrames(bytes);
  for (const line of lines) {
    if (line.startsWith('{"error"')) failed = true;
    console.log(line);
  }
}

/** Consecutive arguments of one or two hex digits are the bytes of one frame typed with spaces. */
function groupArguments(args: string[]): string[] {
  const groups: string[] = [];
  let bytes: string[] = [];
  for (const arg of args) {
    if (/^(0x)?[0-9a-f]{1,2}$/i.test(arg)) {
      bytes.push(arg);
      continue;
    }
    if (bytes.length) groups.push(bytes.join(" "));
    bytes = [];
    groups.push(arg);
  }
  if (bytes.length) groups.push(bytes.join(" "));
  return groups;
}

const args = process.argv.slice(2);
if (args.includes("--help") || args.includes("-h")) {
  console.log("usage: npm run decode -- <hex> [<hex> ...]   or   <hex lines> | npm run decode");
  process.exit(0);
}
if (args.length) {
  for (const group of groupArguments(args)) decodeText(group);
} else {
  for await (const line of createInterface({ input: process.stdin })) {
    if (line.trim() && !line.trim().startsWith("#")) decodeText(line);
  }
}
process.exitCode = failed ? 1 : 0;
