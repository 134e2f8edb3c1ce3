// Hex text <-> bytes for the decode CLI and the console (not the hot path). Accepts what people paste
// from logs: "dd a5 03", "DD:A5:03", "0xDD 0xA5 0x03", "dda503", commas and dashes too.

const SEPARATORS = " \t\r\n:,;-";
const DIGITS = "0123456789abcdef";

function digit(char: string): number {
  return DIGITS.indexOf(char.toLowerCase());
}

/** The bytes, or a message saying what is wrong with the text. */
export function parseHex(text: string): Uint8Array | string {
  const bytes: number[] = [];
  let i = 0;
  while (i < text.length) {
    if (SEPARATORS.includes(text[i])) {
      i++;
      continue;
    }
    // One token: an optional 0x, then hex digits up to the next separator.
    const tokenStart = i;
    if (text[i] === "0" && (text[i + 1] === "x" || text[i + 1] === "X")) i += 2;
    const digitsStart = i;
    while (i < text.length && !SEPARATORS.includes(text[i])) {
      if (digit(text[i]) < 0) return `not hex: '${text[i]}' at position ${i + 1}`;
      i++;
    }
    const digits = i - digitsStart;
    const token = text.slice(tokenStart, i);
    if (digits === 0) return `'${token}' has no hex digits`;
    if (digits === 1) { // "0x3" or a lone "3" between separators: one byte
      bytes.push(digit(text[digitsStart]));
      continue;
    }
    if (digits % 2 !== 0) return `odd number of hex digits in '${token}'`;
    for (let at = digitsStart; at < i; at += 2) bytes.push(digit(text[at]) * 16 + digit(text[at + 1]));
  }
  return Uint8Array.from(bytes);
}

/** Lowercase hex of bytes[start, end), no separators. */
export function toHex(bytes: Uint8Array, start = 0, end = bytes.length): string {
  let text = "";
  for (let i = start; i < end; i++) text += DIGITS[bytes[i] >> 4] + DIGITS[bytes[i] & 0x0f];
  return text;
}
