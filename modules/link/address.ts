// MAC addresses and name patterns as users type them in the config.

/** "a4c138112233", "A4-C1-38-11-22-33" or "a4:c1:38:11:22:33" -> "A4:C1:38:11:22:33"; "" if not a MAC. */
export function formatMac(text: string): string {
  const hex = text.replace(/[:\-\s]/g, "").toUpperCase();
  if (!/^[0-9A-F]{12}$/.test(hex)) return "";
  return hex.match(/../g)!.join(":");
}

/** Topic id of a MAC: lowercase hex without colons. */
export function macToId(mac: string): string {
  return mac.replace(/:/g, "").toLowerCase();
}

/** Case-insensitive glob: "*" any run of characters, "?" one character. */
export function matchesPattern(name: string, pattern: string): boolean {
  const n = name.toLowerCase(), p = pattern.toLowerCase();
  let i = 0, j = 0, star = -1, mark = 0;
  while (i < n.length) {
    if (j < p.length && (p[j] === "?" || p[j] === n[i])) { i++; j++; }
    else if (j < p.length && p[j] === "*") { star = j++; mark = i; }
    else if (star >= 0) { j = star + 1; i = ++mark; }
    else return false;
  }
  while (j < p.length && p[j] === "*") j++;
  return j === p.length;
}
