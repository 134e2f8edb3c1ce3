// Incoming command payloads: bytes from MQTT to what they ask for, or undefined when malformed.

/** Longer payloads are not commands: they are refused without being decoded. */
export const MAX_SWITCH_PAYLOAD = 16;
export const MAX_CONSOLE_LINE = 256;

/**
 * "ON" / "OFF" (what Home Assistant sends); also "1" / "0" and "true" / "false". Any case,
 * surrounding white space ignored. Anything else is refused: a FET is never switched on a guess.
 */
export function parseSwitch(text: string): boolean | undefined {
  switch (text.trim().toLowerCase()) {
    case "on": case "1": case "true": return true;
    case "off": case "0": case "false": return false;
    default: return undefined;
  }
}

/**
 * The payload as text, or undefined when it is too long or not UTF-8. Decoded here rather than
 * with XS's String.fromArrayBuffer so the same code runs in Node tests; payloads are short.
 */
export function payloadText(data: ArrayBuffer, max = MAX_SWITCH_PAYLOAD): string | undefined {
  if (data.byteLength > max) return undefined;
  const bytes = new Uint8Array(data);
  let text = "";
  for (let i = 0; i < bytes.length;) {
    const lead = bytes[i++];
    let code: number, more: number, least: number;
    if (lead < 0x80) { code = lead; more = 0; least = 0; }
    else if (lead >= 0xc2 && lead < 0xe0) { code = lead & 0x1f; more = 1; least = 0x80; }
    else if (lead >= 0xe0 && lead < 0xf0) { code = lead & 0x0f; more = 2; least = 0x800; }
    else if (lead >= 0xf0 && lead < 0xf5) { code = lead & 0x07; more = 3; least = 0x10000; }
    else return undefined;
    for (; more > 0; more--, i++) {
      const next = bytes[i]; // past the end: undefined, which fails the test below
      if ((next & 0xc0) !== 0x80) return undefined;
      code = (code << 6) | (next & 0x3f);
    }
    // overlong forms ("\n" as E0 80 8A) are not UTF-8 either
    if (code < least || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return undefined;
    text += String.fromCodePoint(code);
  }
  return text;
}

/** A payload quoted for an error message, cut short. */
export function quoted(text: string | undefined): string {
  if (text === undefined) return "(not text, or too long)";
  return "'" + (text.length > 20 ? text.slice(0, 20) + "..." : text) + "'";
}
