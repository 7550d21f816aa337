/**
 * The component plugin for other languages: Pulumi's own schema inference (the ComponentProvider
 * that `componentProviderHost` serves) run on this repository finds every component the plugin
 * serves, each input typed and documented as its TypeScript `Args` interface says; constructing a
 * component through the provider registers its children. The expected inputs are read from the
 * TypeScript source with the compiler API, not written down here.
 */
import { before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { readFileSync } from "node:fs";
import ts from "typescript";
import { ComponentProvider } from "@pulumi/pulumi/provider/experimental";
import { PLUGIN_COMPONENTS } from "../../components/plugin";
import { runOffline } from "../../engine/offline";

const ROOT = path.resolve(__dirname, "../..");
const PACKAGE = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { name: string };
/** The provider name `pulumi package add` gives the plugin: the npm package's name. */
const PROVIDER = PACKAGE.name;

interface SchemaProperty { type?: string; $ref?: string; description?: string; additionalProperties?: SchemaProperty; items?: SchemaProperty }
interface SchemaResource { isComponent: boolean; inputProperties: Record<string, SchemaProperty>; requiredInputs: string[]; description?: string }
interface Schema { name: string; resources: Record<string, SchemaResource> }

interface ExpectedInput { readonly optional: boolean; readonly description: string; readonly type: SchemaProperty }

/** The `Args` interfaces of the served components as the TypeScript compiler reads them. */
function expectedInputs(): Map<string, Map<string, ExpectedInput>> {
  const files = PLUGIN_COMPONENTS.map((c) => path.join(ROOT, "components", `${c.name}.ts`));
  const program = ts.createProgram(files, { strict: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, skipLibCheck: true, noEmit: true });
  const checker = program.getTypeChecker();
  /** The schema type a TypeScript type maps to, by Pulumi's rules: Input<T> is T; string, number, boolean; Record<string, T> is a map. */
  const schemaType = (type: ts.Type): SchemaProperty => {
    const nonUndefined = type.isUnion() ? type.types.filter((t) => !(t.flags & ts.TypeFlags.Undefined)) : [type];
    // pulumi.Input<T> = T | Promise<T> | OutputInstance<T>: its plain member is T.
    const plain = nonUndefined.filter((t) => !["Promise", "OutputInstance", "Output"].includes(t.getSymbol()?.getName() ?? "") && !t.isIntersection());
    if (plain.every((t) => t.flags & ts.TypeFlags.BooleanLiteral)) return { type: "boolean" };
    assert.equal(plain.length, 1, `one plain type in ${checker.typeToString(type)}`);
    const [t] = plain;
    if (t.flags & ts.TypeFlags.String) return { type: "string" };
    if (t.flags & ts.TypeFlags.Number) return { type: "number" };
    const index = checker.getIndexInfoOfType(t, ts.IndexKind.String);
    if (index) return { type: "object", additionalProperties: schemaType(index.type) };
    throw new Error(`no schema type for ${checker.typeToString(t)}: extend the test with the rule for it`);
  };
  const result = new Map<string, Map<string, ExpectedInput>>();
  for (const component of PLUGIN_COMPONENTS) {
    const source = program.getSourceFile(path.join(ROOT, "components", `${component.name}.ts`));
    assert.ok(source);
    const args = source.statements.find((s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === `${component.name}Args`);
    assert.ok(args, `${component.name}Args is an interface in components/${component.name}.ts`);
    const inputs = new Map<string, ExpectedInput>();
    for (const symbol of checker.getTypeAtLocation(args).getProperties()) {
      inputs.set(symbol.getName(), {
        optional: (symbol.flags & ts.SymbolFlags.Optional) !== 0,
        description: ts.displayPartsToString(symbol.getDocumentationComment(checker)),
        type: schemaType(checker.getTypeOfSymbol(symbol)),
      });
    }
    result.set(component.name, inputs);
  }
  return result;
}

/** Only the keys the expectation names: the schema adds `plain` and `optional` markers. */
function typeOf(property: SchemaProperty | undefined): SchemaProperty | undefined {
  if (property === undefined) return undefined;
  const out: SchemaProperty = {};
  if (property.type !== undefined) out.type = property.type;
  if (property.$ref !== undefined) out.$ref = property.$ref;
  if (property.additionalProperties !== undefined) out.additionalProperties = typeOf(property.additionalProperties);
  if (property.items !== undefined) out.items = typeOf(property.items);
  return out;
}

describe("component plugin (Pulumi schema inference on this repository)", () => {
  let provider: ComponentProvider;
  let schema: Schema;
  before(async () => {
    provider = new ComponentProvider({ name: PROVIDER, dirname: ROOT, components: [...PLUGIN_COMPONENTS] });
    schema = JSON.parse(await provider.getSchema()) as Schema;
  });

  it("serves every listed component with each Args input typed, required or optional, and documented as in the TypeScript source", () => {
    const expected = expectedInputs();
    assert.deepEqual(Object.keys(schema.resources).sort(), PLUGIN_COMPONENTS.map((c) => `${PROVIDER}:index:${c.name}`).sort());
    for (const [component, inputs] of expected) {
      const resource = schema.resources[`${PROVIDER}:index:${component}`];
      assert.equal(resource.isComponent, true);
      assert.ok(resource.description, `${component} has its class doc comment`);
      assert.deepEqual(Object.keys(resource.inputProperties).sort(), [...inputs.keys()].sort(), component);
      assert.deepEqual(resource.requiredInputs, [...inputs].filter(([, i]) => !i.optional).map(([name]) => name).sort(), `${component} required inputs`);
      for (const [name, input] of inputs) {
        const property = resource.inputProperties[name];
        assert.ok(input.description.length > 0, `${component}Args.${name} has a doc comment`);
        assert.equal(property.description, input.description, `${component}.${name} description`);
        assert.deepEqual(typeOf(property), input.type, `${component}.${name} type`);
      }
    }
  });

  it("constructs GuestContentStore through the provider: its storage account and package container are its children", async () => {
    const token = `${PROVIDER}:index:GuestContentStore`;
    let state: Record<string, unknown> = {};
    const run = await runOffline(async () => {
      const result = await provider.construct("store", token, { resourceGroupName: "rg-mail", accountName: "mailhostcontent", tags: { team: "mail" } }, {});
      state = result.state as Record<string, unknown>;
      return {};
    }, "dev", {});
    const store = run.resources.find((r) => r.type === "mailhost:azure:GuestContentStore" && r.name === "store");
    assert.ok(store, "the component is registered");
    const children = run.resources.filter((r) => r.parent === store.urn);
    assert.deepEqual(children.map((r) => r.type).sort(), ["azure-native:storage:BlobContainer", "azure-native:storage:StorageAccount"]);
    const account = children.find((r) => r.type === "azure-native:storage:StorageAccount");
    assert.equal(account?.inputs.accountName, "mailhostcontent");
    assert.equal(account?.inputs.resourceGroupName, "rg-mail");
    assert.deepEqual(account?.inputs.tags, { team: "mail" });
    // The outputs the schema declares are the ones the provider returns.
    const outputs = (schema.resources[token] as unknown as { properties: Record<string, unknown> }).properties;
    assert.deepEqual(Object.keys(state).sort(), Object.keys(outputs).sort());
  });
});

describe("component plugin entry point", () => {
  it("the plugin loads the package's main, which lists the served components; npm consumers still get the library through exports", () => {
    // Pulumi runs a nodejs plugin by require()-ing its folder: Node then loads package.json's
    // `main` (a bare `mailhost-iac` import resolves through `exports` instead).
    const manifest = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { main: string; exports: Record<string, { default: string }> };
    assert.equal(manifest.main.replace(/^(\.\/)?dist\//, "").replace(/\.js$/, ".ts"), "components/plugin.ts");
    assert.equal(manifest.exports["."].default, "./dist/components/index.js");
    assert.equal(readFileSync(path.join(ROOT, "PulumiPlugin.yaml"), "utf8").trim(), "runtime: nodejs");
  });
});
