// Splitting a command line into arguments. Pure.
//
// Whitespace separates arguments; "double" or 'single' quotes keep spaces (and make "" an empty
// argument); inside double quotes a backslash escapes " and \. Quotes may join parts: a"b c"d → ab cd.

export type SplitResult = { readonly args: string[]; readonly error?: undefined } | { readonly args?: undefined; readonly error: string };

export function splitArgs(line: string): SplitResult {
  const args: string[] = [];
  let current = "";
  let inArg = false;
  let quote = "";
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) { quote = ""; continue; }
      if (quote === '"' && c === "\\" && i + 1 < line.length && (line[i + 1] === '"' || line[i + 1] === "\\")) {
        current += line[++i];
        continue;
      }
      current += c;
      continue;
    }
    if (c === " " || c === "\t") {
      if (inArg) { args.push(current); current = ""; inArg = false; }
      continue;
    }
    inArg = true;
    if (c === '"' || c === "'") { quote = c; continue; }
    current += c;
  }
  if (quote) return { error: `unterminated ${quote === '"' ? "double" : "single"} quote` };
  if (inArg) args.push(current);
  return { args };
}

/** Quote an argument for display so that splitArgs() gives it back. */
export function quoteArg(arg: string): string {
  if (arg !== "" && !/[\s"'\\]/.test(arg)) return arg;
  return '"' + arg.replace(/[\\"]/g, (c) => "\\" + c) + '"';
}
