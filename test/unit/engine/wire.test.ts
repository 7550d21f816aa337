// The analyzer client's own protobuf encoding (engine/wire.ts and the request chunks in
// engine/analyzer.ts) is checked against the generated stubs: whatever it sends must decode, with
// the stubs the policy pack uses, to exactly what the stubs themselves would have sent.
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { createRequire } from "node:module";
import * as analyzerPb from "@pulumi/pulumi/proto/analyzer_pb";
import * as fc from "fast-check";
import type * as structPbModule from "google-protobuf/google/protobuf/struct_pb";
import { analyzeRequestChunks, analyzerResourceChunks, analyzeStackRequestChunks, type AnalyzedResource, secret, UNKNOWN } from "../../../engine/analyzer";
import { encodeStruct, fieldHeader, WireEncodingError } from "../../../engine/wire";

const stubRequire = createRequire(require.resolve("@pulumi/pulumi/proto/analyzer_pb"));
const { Struct } = stubRequire("google-protobuf/google/protobuf/struct_pb") as typeof structPbModule;

const decode = (bytes: Uint8Array) => Struct.deserializeBinary(bytes).toJavaScript();

/**
 * JSON objects with awkward strings (multi-byte, astral, control characters) and numbers, as plain
 * objects (structuredClone): the stubs decode into plain objects. No "__proto__" key, which the
 * stubs' decoder would assign as the prototype.
 */
const jsonObject = fc
  .dictionary(
    fc.string({ unit: "binary", maxLength: 12 }).filter((k) => k !== "__proto__"),
    fc.jsonValue({ maxDepth: 4, stringUnit: "binary" }),
    { maxKeys: 8 },
  )
  .filter((o) => !JSON.stringify(o).includes('"__proto__"'))
  .map((o) => structuredClone(o) as Record<string, unknown>);

describe("Struct encoding", () => {
  it("decodes with the stubs to the object it encoded, for generated JSON objects", () => {
    fc.assert(
      fc.property(jsonObject, (obj) => {
        assert.deepStrictEqual(decode(encodeStruct(obj)), obj);
      }),
      { numRuns: 500 },
    );
  });

  it("decodes to what the stubs' own encoding decodes to", () => {
    fc.assert(
      fc.property(jsonObject, (obj) => {
        const theirs = Struct.fromJavaScript(obj as Record<string, structPbModule.JavaScriptValue>).serializeBinary();
        assert.deepStrictEqual(Struct.deserializeBinary(encodeStruct(obj)).toObject(), Struct.deserializeBinary(theirs).toObject());
      }),
      { numRuns: 200 },
    );
  });

  it("carries every kind of value, including lengths that need multi-byte varints", () => {
    const long = "x".repeat(300_000); // a 3-byte length prefix
    const obj = {
      "": "",
      nothing: null,
      yes: true,
      no: false,
      zero: 0,
      negative: -1.5,
      large: Number.MAX_SAFE_INTEGER,
      tiny: Number.MIN_VALUE,
      text: "grüße, 東京, 🚀",
      crlf: "[Cache]\r\nMailboxCacheTTL = 900\r\n",
      list: [1, "two", null, [3], { four: 4 }],
      empty: { list: [], struct: {} },
      long,
      secret: secret({ token: "s3cr3t" }),
      unknown: UNKNOWN,
    };
    assert.deepStrictEqual(decode(encodeStruct(obj)), obj);
  });

  it("leaves out undefined members and sends undefined array items as null, as the SDK does", () => {
    assert.deepStrictEqual(decode(encodeStruct({ a: undefined, b: 1, c: [undefined, 2], d: { e: undefined } })), { b: 1, c: [null, 2], d: {} });
  });

  it("rejects what a Struct cannot carry, naming where it is", () => {
    assert.throws(
      () => encodeStruct({ settings: { retries: 1n } }),
      (e: unknown) => e instanceof WireEncodingError && /settings\.retries: a bigint/.test(e.message),
    );
    assert.throws(
      () => encodeStruct({ list: [1, () => 2] }),
      (e: unknown) => e instanceof WireEncodingError && /list\[1\]: a function/.test(e.message),
    );
    assert.throws(() => encodeStruct({ s: Symbol("x") }), /s: a symbol/);
  });

  it("writes field headers with multi-byte tags and lengths", () => {
    assert.deepStrictEqual([...fieldHeader(2, 0)], [0x12, 0x00]);
    assert.deepStrictEqual([...fieldHeader(1, 300)], [0x0a, 0xac, 0x02]);
    assert.deepStrictEqual([...fieldHeader(16, 1)], [0x82, 0x01, 0x01]);
  });
});

describe("Analyze and AnalyzeStack requests", () => {
  const resource: AnalyzedResource = {
    type: "azure-native:compute:VirtualMachineExtension",
    name: "ext-vm-mail-prod-001",
    properties: {
      settings: { configurationArguments: { MaxUserPort: 65_534, SiteConfigContent: "[Cache]\r\nMailboxCacheTTL = 900\r\n" } },
      protectedSettings: secret({ configurationUrlSasToken: "?sv=x" }),
    },
    parent: "urn:pulumi:prod::mailhost::mailhost:azure:DscTuning::vm-mail-prod-001",
    dependencies: ["urn:pulumi:prod::mailhost::azure-native:compute:VirtualMachine::vm-mail-prod-001"],
    propertyDependencies: { vmName: ["urn:pulumi:prod::mailhost::azure-native:compute:VirtualMachine::vm-mail-prod-001"] },
    provider: {
      type: "pulumi:providers:azure-native",
      name: "default",
      urn: "urn:pulumi:prod::mailhost::pulumi:providers:azure-native::default",
      properties: { location: "westeurope" },
    },
    options: { protect: true, ignoreChanges: ["tags"], deleteBeforeReplace: false, customTimeouts: { create: 600 } },
  };
  const urn = "urn:pulumi:prod::mailhost::mailhost:azure:DscTuning$azure-native:compute:VirtualMachineExtension::ext-vm-mail-prod-001";
  const properties = encodeStruct(resource.properties);

  it("an AnalyzeRequest decodes to the stubs' own request", () => {
    const ours = analyzerPb.AnalyzeRequest.deserializeBinary(Buffer.concat(analyzeRequestChunks(resource, urn, properties)));
    // The same request through the stubs: every field set on the message, properties included.
    const theirs = analyzerPb.AnalyzeRequest.deserializeBinary(Buffer.concat(analyzeRequestChunks(resource, urn, new Uint8Array())));
    theirs.setProperties(Struct.fromJavaScript(resource.properties as Record<string, structPbModule.JavaScriptValue>));
    assert.deepStrictEqual(analyzerPb.AnalyzeRequest.deserializeBinary(theirs.serializeBinary()).toObject(), ours.toObject());
    assert.equal(ours.getUrn(), urn);
    assert.equal(ours.getType(), resource.type);
    assert.deepStrictEqual(ours.getProperties()?.toJavaScript(), resource.properties);
    assert.equal(ours.getOptions()?.getProtect(), true);
    assert.equal(ours.getOptions()?.getParent(), resource.parent);
    assert.equal(ours.getProvider()?.getUrn(), resource.provider?.urn);
  });

  it("an AnalyzerResource carries properties, parent, dependencies and property dependencies", () => {
    const ours = analyzerPb.AnalyzerResource.deserializeBinary(Buffer.concat(analyzerResourceChunks(resource, urn, properties)));
    assert.deepStrictEqual(ours.getProperties()?.toJavaScript(), resource.properties);
    assert.equal(ours.getParent(), resource.parent);
    assert.deepStrictEqual(ours.getDependenciesList(), resource.dependencies);
    assert.deepStrictEqual(ours.getPropertydependenciesMap().get("vmName")?.getUrnsList(), resource.propertyDependencies?.vmName);
    assert.deepStrictEqual(ours.getOptions()?.getIgnorechangesList(), ["tags"]);
    assert.equal(ours.getOptions()?.getCustomtimeouts()?.getCreate(), 600);
  });

  it("an AnalyzeStackRequest of framed resources decodes to every resource, in order", () => {
    const names = ["a", "b", "c".repeat(200)];
    const chunks = analyzeStackRequestChunks(
      names.map((name) => {
        const r = { ...resource, name, properties: { name, size: name.length } };
        return analyzerResourceChunks(r, `urn:pulumi:prod::mailhost::${r.type}::${name}`, encodeStruct(r.properties));
      }),
    );
    const decoded = analyzerPb.AnalyzeStackRequest.deserializeBinary(Buffer.concat(chunks)).getResourcesList();
    assert.deepStrictEqual(
      decoded.map((r) => r.getName()),
      names,
    );
    assert.deepStrictEqual(
      decoded.map((r) => r.getProperties()?.toJavaScript()),
      names.map((name) => ({ name, size: name.length })),
    );
  });
});
