// What a request to release a BMS link says, from the console or MQTT: release it for some
// minutes (to let the JBD phone app connect: a BMS takes one central at a time), or take it back.

/** Minutes a release lasts when none are given (a Home Assistant button press). */
export const RELEASE_DEFAULT_MINUTES = 10;
/** Longest release: a day, so a forgotten release cannot keep a pack unread for longer. */
export const RELEASE_MAX_MINUTES = 1440;

export type ReleaseRequest = { readonly minutes: number } | { readonly resume: true };

/**
 * "" or "PRESS" (Home Assistant's button payload): the default minutes; "1".."1440": that many;
 * "off", "resume", "0": end the release. Any case, white space ignored; anything else is an error
 * text, never a guess.
 */
export function parseReleaseRequest(text: string): ReleaseRequest | string {
  const word = text.trim().toLowerCase();
  if (word === "" || word === "press") return { minutes: RELEASE_DEFAULT_MINUTES };
  if (word === "off" || word === "resume" || word === "0") return { resume: true };
  const minutes = /^[0-9]{1,4}$/.test(word) ? Number(word) : NaN;
  if (minutes >= 1 && minutes <= RELEASE_MAX_MINUTES) return { minutes };
  return `release: minutes 1..${RELEASE_MAX_MINUTES}, or off to take the link back; got '${text.trim().slice(0, 20)}'`;
}
