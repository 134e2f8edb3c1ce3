import { test } from "node:test";
import assert from "node:assert/strict";
import { splitArgs, quoteArg } from "../../modules/console/args";

test("split on whitespace with quotes", () => {
  assert.deepEqual(splitArgs("  config set ssid \"My Net\"  ").args, ["config", "set", "ssid", "My Net"]);
  assert.deepEqual(splitArgs("a 'b c' \"\" d").args, ["a", "b c", "", "d"]);
  assert.deepEqual(splitArgs('x "say \\"hi\\" \\\\ ok"').args, ["x", 'say "hi" \\ ok']);
  assert.deepEqual(splitArgs("a\"b c\"d").args, ["ab cd"]);
  assert.deepEqual(splitArgs("\t").args, []);
  assert.equal(splitArgs('a "b').error, "unterminated double quote");
  assert.equal(splitArgs("a 'b").error, "unterminated single quote");
});

test("quoteArg round-trips", () => {
  for (const s of ["plain", "", "two words", 'q"uote', "back\\slash"]) {
    assert.deepEqual(splitArgs("cmd " + quoteArg(s)).args, ["cmd", s]);
  }
});
