import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fc from "fast-check";
import { COMMAND_LINE_SAFE_PATTERN, fromBase64Url, isCommandLineSafe, toBase64Url } from "../../../domain/guestEncoding";

describe("base64url for values that cross Run Command", () => {
  it("round-trips any text and uses only A-Z a-z 0-9 - _, never starting with -", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", minLength: 1, maxLength: 200 }), (text) => {
        const encoded = toBase64Url(text);
        assert.match(encoded, new RegExp(COMMAND_LINE_SAFE_PATTERN));
        assert.ok(!encoded.startsWith("-"), encoded);
        assert.equal(fromBase64Url(encoded), text);
      }),
      { numRuns: 500 },
    );
  });
  it("encodes RFC 4648 test vectors without padding", () => {
    // RFC 4648 section 10, in the URL-safe alphabet.
    assert.deepEqual(["", "f", "fo", "foo", "foob", "fooba", "foobar"].map(toBase64Url), ["", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"]);
    assert.equal(toBase64Url("C:\\Program Files\\?>"), "QzpcUHJvZ3JhbSBGaWxlc1w_Pg");
  });
  it("refuses characters outside the alphabet, padding, impossible lengths and non-UTF-8 bytes", () => {
    assert.throws(() => fromBase64Url("Zg=="), /character "=" is outside A-Z a-z 0-9 - _/);
    assert.throws(() => fromBase64Url("a+b/"), /character "\+" is outside/);
    assert.throws(() => fromBase64Url("Zm9v Yg"), /character " " is outside/);
    assert.throws(() => fromBase64Url("Zm9vY"), /not a possible length/);
    assert.throws(() => fromBase64Url("Zh"), /canonical/);
    assert.throws(() => fromBase64Url(Buffer.from([0xff, 0xfe]).toString("base64url")), /not valid UTF-8/);
  });
  it("calls plain digits, hex hashes and base64url command-line safe, and nothing with spaces or cmd characters", () => {
    for (const ok of ["65534", "ab".repeat(32), "Zm9v-_"]) assert.ok(isCommandLineSafe(ok), ok);
    for (const bad of ["", "a b", "100%", "a&b", "x^", "a=b", '"q"', "a\r\nb", "a;b", "a,b", "a!b"]) assert.ok(!isCommandLineSafe(bad), bad);
  });
});
