// What a release request says (modules/link/release-request.ts), on its own: the words the console
// and MQTT accept, the bounds, and the error text for everything else.
import { test } from "node:test";
import assert from "node:assert/strict";
import { RELEASE_DEFAULT_MINUTES, RELEASE_MAX_MINUTES, parseReleaseRequest } from "../../modules/link/release-request";

test("release: empty or PRESS (Home Assistant's button) is the default 10 minutes; any case, white space ignored", () => {
  assert.equal(RELEASE_DEFAULT_MINUTES, 10);
  assert.equal(RELEASE_MAX_MINUTES, 1440);
  for (const text of ["", "   ", "PRESS", "press", " Press\n"]) assert.deepEqual(parseReleaseRequest(text), { minutes: 10 }, JSON.stringify(text));
});

test("release: off, resume and 0 take the link back", () => {
  for (const text of ["off", "OFF", " resume ", "Resume", "0", " 0\t"]) assert.deepEqual(parseReleaseRequest(text), { resume: true }, JSON.stringify(text));
});

test("release: 1..1440 minutes, at both ends; leading zeros are the number they spell", () => {
  assert.deepEqual(parseReleaseRequest("1"), { minutes: 1 });
  assert.deepEqual(parseReleaseRequest("30"), { minutes: 30 });
  assert.deepEqual(parseReleaseRequest(" 1440 "), { minutes: 1440 });
  assert.deepEqual(parseReleaseRequest("0007"), { minutes: 7 });
  assert.deepEqual(parseReleaseRequest("1439"), { minutes: 1439 });
});

test("release: anything else is an error text naming the range and what came (trimmed, at most 20 characters), never a guess", () => {
  const error = (got: string) => `release: minutes 1..1440, or off to take the link back; got '${got}'`;
  assert.equal(parseReleaseRequest("1441"), error("1441"));
  assert.equal(parseReleaseRequest("00000"), error("00000"), "five digits: not a number of minutes");
  assert.equal(parseReleaseRequest("10000"), error("10000"));
  assert.equal(parseReleaseRequest("-5"), error("-5"));
  assert.equal(parseReleaseRequest("1.5"), error("1.5"));
  assert.equal(parseReleaseRequest("1e3"), error("1e3"));
  assert.equal(parseReleaseRequest("0x10"), error("0x10"));
  assert.equal(parseReleaseRequest("ten"), error("ten"));
  assert.equal(parseReleaseRequest("5 min"), error("5 min"));
  assert.equal(parseReleaseRequest("  ON  "), error("ON"), "the text as given, trimmed, case kept");
  assert.equal(parseReleaseRequest("x".repeat(40)), error("x".repeat(20)));
  assert.equal(parseReleaseRequest("offf"), error("offf"));
  assert.equal(parseReleaseRequest("a12"), error("a12"), "digits only, from the start");
  assert.equal(parseReleaseRequest("12a"), error("12a"), "digits only, to the end");
});
