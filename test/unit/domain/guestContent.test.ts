import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { createHash } from "node:crypto";
import * as fc from "fast-check";
import { unzipSync } from "fflate";
import { type GuestFile, contentAddressedName, deterministicZip, manifestSha256, publishedArchive } from "../../../domain/guestContent";

const pathArb = fc
  .array(
    fc.stringMatching(/^[A-Za-z0-9._-]{1,8}$/).filter((s) => s !== "." && s !== ".."),
    { minLength: 1, maxLength: 3 },
  )
  .map((parts) => parts.join("/"));
const filesArb = fc
  .uniqueArray(fc.record({ path: pathArb, bytes: fc.uint8Array({ maxLength: 64 }) }), {
    minLength: 1,
    maxLength: 6,
    // No file may also be a folder of another one.
    selector: (f) => f.path,
  })
  .filter((files) => files.every((a) => files.every((b) => a === b || !b.path.startsWith(`${a.path}/`))));
const valuesArb = fc.dictionary(fc.stringMatching(/^[A-Za-z]{1,10}$/), fc.oneof(fc.integer(), fc.string({ maxLength: 20 })), { maxKeys: 5 });

describe("manifestSha256", () => {
  it("does not depend on the order of files or values", () => {
    fc.assert(
      fc.property(filesArb, valuesArb, (files, values) => {
        const reversedValues = Object.fromEntries(Object.entries(values).reverse());
        assert.equal(manifestSha256({ files: [...files].reverse(), values: reversedValues }), manifestSha256({ files, values }));
      }),
    );
  });
  it("changes with any byte of any file, a renamed file, a removed file and any value", () => {
    fc.assert(
      fc.property(filesArb, valuesArb, fc.nat(), (files, values, pick) => {
        const base = manifestSha256({ files, values });
        const i = pick % files.length;
        const f = files[i];
        const flipped: GuestFile = {
          path: f.path,
          bytes: f.bytes.length === 0 ? new Uint8Array([0]) : Uint8Array.from(f.bytes, (b, j) => (j === pick % f.bytes.length ? b ^ 1 : b)),
        };
        assert.notEqual(manifestSha256({ files: files.map((x, j) => (j === i ? flipped : x)), values }), base, "a byte");
        const renamed = `${f.path}x`;
        if (!files.some((x) => x.path === renamed))
          assert.notEqual(manifestSha256({ files: files.map((x, j) => (j === i ? { ...x, path: renamed } : x)), values }), base, "a name");
        if (files.length > 1) assert.notEqual(manifestSha256({ files: files.filter((_, j) => j !== i), values }), base, "a file less");
        assert.notEqual(manifestSha256({ files, values: { ...values, Extra: 1 } }), base, "a value more");
        for (const key of Object.keys(values)) {
          assert.notEqual(manifestSha256({ files, values: { ...values, [key]: `${String(values[key])}!` } }), base, `value ${key}`);
        }
      }),
    );
  });
  it('tells the number 1 from the string "1" (values keep their JSON type)', () => {
    assert.notEqual(manifestSha256({ files: [], values: { A: 1 } }), manifestSha256({ files: [], values: { A: "1" } }));
  });
  it("refuses a path listed twice", () => {
    const f = { path: "a.ps1", bytes: new Uint8Array([1]) };
    assert.throws(() => manifestSha256({ files: [f, f], values: {} }), /lists a\.ps1 twice/);
  });
});

describe("deterministicZip and publishedArchive", () => {
  it("holds exactly the files, is the same bytes in any order, and is named by its SHA-256", () => {
    fc.assert(
      fc.property(filesArb, (files) => {
        const zip = deterministicZip(files);
        assert.deepEqual(Buffer.from(deterministicZip([...files].reverse())), Buffer.from(zip));
        const entries = unzipSync(zip);
        const fileEntries = Object.keys(entries)
          .filter((n) => !n.endsWith("/"))
          .sort();
        assert.deepEqual(fileEntries, files.map((f) => f.path).sort());
        for (const f of files) assert.deepEqual(Buffer.from(entries[f.path]), Buffer.from(f.bytes));
        const archive = publishedArchive("Stem", files);
        const sha = createHash("sha256").update(archive.bytes).digest("hex");
        assert.equal(archive.sha256, sha);
        assert.equal(archive.blobName, contentAddressedName("Stem", sha));
        assert.equal(archive.blobName, `Stem-${sha}.zip`);
      }),
      { numRuns: 50 },
    );
  });
});
