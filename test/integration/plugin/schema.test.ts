/**
 * The component plugin for other languages: Pulumi's own schema inference (the ComponentProvider
 * that `componentProviderHost` serves) run on this repository finds every public component, each
 * input typed and documented as its TypeScript `Args` interface says, nested types and enums
 * included; constructing components through the provider registers their children. The expected
 * schema is read from the TypeScript source with the compiler API, not written down here.
 */
import { before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { readFileSync } from "node:fs";
import ts from "typescript";
import { parse as parseYaml } from "yaml";
import { ComponentProvider, getPulumiComponents } from "@pulumi/pulumi/provider/experimental/provider";
import * as library from "../../../components/index";
import { runOffline } from "../../../engine/offline";
import { existingVmId } from "../../support/examples";

const ROOT = path.resolve(__dirname, "../../..");
const PACKAGE = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
  name: string;
  main: string;
  exports: Record<string, { default: string }>;
};
/** The provider name Pulumi's plugin runner gives the package: its npm name. */
const PROVIDER = PACKAGE.name;
const ENTRY = path.join(ROOT, "components", "index.ts");
const typeToken = (name: string) => `${PROVIDER}:index:${name}`;

interface SchemaProperty {
  type?: string;
  $ref?: string;
  description?: string;
  additionalProperties?: SchemaProperty;
  items?: SchemaProperty;
  optional?: boolean;
}
interface SchemaEnumMember {
  name: string;
  value: string | number;
  description?: string;
}
interface SchemaType {
  type: string;
  properties?: Record<string, SchemaProperty>;
  required?: string[];
  enum?: SchemaEnumMember[];
}
interface SchemaResource {
  isComponent: boolean;
  inputProperties: Record<string, SchemaProperty>;
  requiredInputs: string[];
  properties: Record<string, SchemaProperty>;
  required: string[];
  description?: string;
}
interface Schema {
  name: string;
  resources: Record<string, SchemaResource>;
  types: Record<string, SchemaType>;
}

/** What the schema must say of one property: its type (as the schema writes it), whether it may be left out, its doc comment. */
interface Expected {
  readonly optional: boolean;
  readonly description: string;
  readonly type: SchemaProperty;
}
/** An object type or an enum the schema must define, read from the source. */
type ExpectedType =
  | { readonly kind: "object"; readonly properties: Map<string, Expected> }
  | { readonly kind: "enum"; readonly type: "string" | "number"; readonly members: SchemaEnumMember[] };

/** The compiler's reading of the library: its public components and the schema Pulumi's rules give their inputs and outputs. */
class SourceReading {
  readonly program = ts.createProgram([ENTRY], {
    strict: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    skipLibCheck: true,
    noEmit: true,
    types: ["node"],
  });
  readonly checker = this.program.getTypeChecker();
  /** Object types and enums the inputs and outputs reach, by name. */
  readonly types = new Map<string, ExpectedType>();

  /** Every class `components/index.ts` exports that extends `pulumi.ComponentResource`. */
  publicComponents(): ts.ClassDeclaration[] {
    const entry = this.program.getSourceFile(ENTRY);
    assert.ok(entry);
    const exported = this.checker.getExportsOfModule(this.checker.getSymbolAtLocation(entry)!);
    const classes: ts.ClassDeclaration[] = [];
    for (const symbol of exported) {
      const target = symbol.flags & ts.SymbolFlags.Alias ? this.checker.getAliasedSymbol(symbol) : symbol;
      const declaration = target.declarations?.find(ts.isClassDeclaration);
      if (declaration === undefined) continue;
      const extendsComponent = declaration.heritageClauses?.some((clause) =>
        clause.types.some((t) => this.checker.getTypeAtLocation(t).getSymbol()?.getName() === "ComponentResource"),
      );
      if (extendsComponent) classes.push(declaration);
    }
    return classes;
  }

  /** The inputs: the properties of the constructor's `args` interface (inherited ones included). */
  inputsOf(component: ts.ClassDeclaration): Map<string, Expected> {
    const constructor = component.members.find(ts.isConstructorDeclaration);
    const args = constructor?.parameters.find((p) => p.name.getText() === "args");
    assert.ok(args?.type, `${component.name?.text} has a constructor with a typed args parameter`);
    const type = this.checker.getTypeAtLocation(args.type);
    assert.ok(type.getSymbol()!.flags & ts.SymbolFlags.Interface, `${component.name?.text}'s args is an interface`);
    return this.propertiesOf(type.getProperties(), false);
  }

  /** The outputs: the public instance properties of the class (getters and methods are not part of the schema). */
  outputsOf(component: ts.ClassDeclaration): Map<string, Expected> {
    const symbol = this.checker.getSymbolAtLocation(component.name!)!;
    const properties: ts.Symbol[] = [];
    symbol.members?.forEach((member) => {
      if (member.flags & ts.SymbolFlags.Property) properties.push(member);
    });
    return this.propertiesOf(properties, true);
  }

  private propertiesOf(symbols: readonly ts.Symbol[], output: boolean): Map<string, Expected> {
    const result = new Map<string, Expected>();
    for (const symbol of symbols) {
      const declaration = symbol.valueDeclaration;
      assert.ok(declaration, symbol.getName());
      const type = this.checker.getTypeOfSymbolAtLocation(symbol, declaration);
      const optional = (symbol.flags & ts.SymbolFlags.Optional) !== 0;
      result.set(symbol.getName(), {
        optional,
        description: ts.displayPartsToString(symbol.getDocumentationComment(this.checker)),
        type: this.schemaType(type, declaration, output, symbol.getName()),
      });
    }
    return result;
  }

  /** The schema type a TypeScript type maps to, by Pulumi's rules (Input<T> and Output<T> are T). */
  private schemaType(type: ts.Type, declaration: ts.Declaration, output: boolean, where: string): SchemaProperty {
    if (type.flags & ts.TypeFlags.Any) return { $ref: "pulumi.json#/Any" };
    if (type.flags & ts.TypeFlags.String) return { type: "string" };
    if (type.flags & ts.TypeFlags.Number) return { type: "number" };
    if (type.flags & ts.TypeFlags.Boolean) return { type: "boolean" };
    const outputInner = this.outputInner(type);
    if (outputInner) return this.schemaType(outputInner, declaration, output, where);
    if (type.isUnion()) {
      const members = type.types.filter((t) => !(t.flags & ts.TypeFlags.Undefined));
      if (members.length === 1) return this.schemaType(members[0], declaration, output, where);
      // Input<T> = T | Promise<T> | OutputInstance<T>: the plain members are T.
      const plain = members.filter((t) => t.getSymbol()?.getName() !== "Promise" && this.outputInner(t) === undefined);
      if (plain.length > 0 && plain.every((t) => t.flags & ts.TypeFlags.BooleanLiteral)) return { type: "boolean" };
      if (plain.length > 1 && plain.every((t) => t.isStringLiteral() || t.isNumberLiteral()))
        return this.enumType(type, plain as ts.LiteralType[], declaration, where);
      assert.equal(plain.length, 1, `${where}: one plain type in ${this.checker.typeToString(type)}`);
      return this.schemaType(plain[0], declaration, output, where);
    }
    const symbol = type.getSymbol();
    if (symbol?.getName() === "Array") {
      const [item] = this.checker.getTypeArguments(type as ts.TypeReference);
      return { type: "array", items: this.schemaType(item, declaration, output, `${where}[]`) };
    }
    const index = this.checker.getIndexInfoOfType(type, ts.IndexKind.String);
    if (index) return { type: "object", additionalProperties: this.schemaType(index.type, declaration, output, `${where} values`) };
    if (type.isClass() && this.isResourceClass(type)) {
      // A resource of a Pulumi package: the schema refers to that package's schema.
      const file = symbol!.declarations![0].getSourceFile().fileName;
      const pkg = /node_modules\/(@pulumi\/[^/]+)\//.exec(file);
      assert.ok(pkg, `${where}: a resource class of a @pulumi package (${file})`);
      return { $ref: `resource of ${pkg[1]}: ${symbol!.getName()}` };
    }
    if (symbol && type.isClassOrInterface()) {
      const name = symbol.getName();
      if (!this.types.has(name)) {
        this.types.set(name, { kind: "object", properties: new Map() });
        this.types.set(name, { kind: "object", properties: this.propertiesOf(type.getProperties(), output) });
      }
      return { $ref: `#/types/${typeToken(name)}` };
    }
    throw new Error(`${where}: no schema type for ${this.checker.typeToString(type)}; extend the test with Pulumi's rule for it`);
  }

  /** A union of literals named by an `as const` object and a type of the same name: an enum. */
  private enumType(type: ts.Type, literals: ts.LiteralType[], declaration: ts.Declaration, where: string): SchemaProperty {
    let name = type.aliasSymbol?.getName();
    const typeNode = (declaration as ts.PropertySignature).type;
    if (name === undefined && typeNode !== undefined) {
      const reference = ts.isArrayTypeNode(typeNode) ? typeNode.elementType : typeNode;
      if (ts.isTypeReferenceNode(reference)) name = reference.typeName.getText();
    }
    assert.ok(name, `${where}: a union of literals has a name`);
    const symbol = this.checker.resolveName(name, declaration, ts.SymbolFlags.Value, false);
    const target = symbol && symbol.flags & ts.SymbolFlags.Alias ? this.checker.getAliasedSymbol(symbol) : symbol;
    const object = target?.declarations?.find(ts.isVariableDeclaration)?.initializer;
    const literal = object && ts.isAsExpression(object) ? object.expression : object;
    assert.ok(literal && ts.isObjectLiteralExpression(literal), `${where}: ${name} is an \`as const\` object of its values`);
    const members: SchemaEnumMember[] = [];
    for (const property of literal.properties) {
      assert.ok(ts.isPropertyAssignment(property));
      const value = ts.isStringLiteral(property.initializer) ? property.initializer.text : Number(property.initializer.getText());
      const doc = ts.displayPartsToString(this.checker.getSymbolAtLocation(property.name)!.getDocumentationComment(this.checker));
      members.push({ name: property.name.getText(), value, ...(doc ? { description: doc } : {}) });
    }
    assert.deepEqual(members.map((m) => m.value).sort(), literals.map((l) => l.value).sort(), `${where}: ${name} names every value of the union`);
    this.types.set(name, { kind: "enum", type: typeof members[0].value === "string" ? "string" : "number", members });
    return { $ref: `#/types/${typeToken(name)}` };
  }

  /** T of `Output<T>` (`OutputInstance<T>`, possibly within `OutputInstance<T> & Lifted<T>`). */
  private outputInner(type: ts.Type): ts.Type | undefined {
    const parts = type.isIntersection() ? type.types : [type];
    for (const part of parts) {
      const name = part.getSymbol()?.getName() ?? part.aliasSymbol?.getName();
      if (name === "OutputInstance" || name === "Output") {
        const args = part.aliasTypeArguments ?? this.checker.getTypeArguments(part as ts.TypeReference);
        if (args.length === 1) return args[0];
      }
    }
    return undefined;
  }

  private isResourceClass(type: ts.InterfaceType): boolean {
    return this.checker
      .getBaseTypes(type)
      .some(
        (base) =>
          ["CustomResource", "ComponentResource", "Resource"].includes(base.getSymbol()?.getName() ?? "") || (base.isClass() && this.isResourceClass(base)),
      );
  }
}

/** The schema property reduced to what the expectation names (the schema adds `plain` markers); resource references by package and class. */
function shapeOf(property: SchemaProperty | undefined, schema: Schema): SchemaProperty | undefined {
  if (property === undefined) return undefined;
  const out: SchemaProperty = {};
  if (property.type !== undefined) out.type = property.type;
  if (property.$ref !== undefined) {
    const resource = /^\/([^/]+)\/v[^/]+\/schema\.json#\/resources\/(.+)$/.exec(property.$ref);
    out.$ref = resource
      ? `resource of @pulumi/${resource[1]}: ${decodeURIComponent(resource[2])
          .split(":")
          .pop()!
          .replace(/^.*%2F/, "")}`
      : property.$ref;
    if (resource) assert.ok(schema.name, "resource references name their package's schema");
  }
  if (property.additionalProperties !== undefined) out.additionalProperties = shapeOf(property.additionalProperties, schema);
  if (property.items !== undefined) out.items = shapeOf(property.items, schema);
  return out;
}

/** Every description in the schema, with where it is. */
function descriptions(value: unknown, where = "schema"): Array<[string, string]> {
  if (value === null || typeof value !== "object") return [];
  return Object.entries(value).flatMap(([key, v]) =>
    key === "description" && typeof v === "string" ? [[where, v] as [string, string]] : descriptions(v, `${where}.${key}`),
  );
}

/** What Pulumi's plugin runner does with the package's main module (components/index.ts); one provider, so the schema is inferred once. */
const served = getPulumiComponents(library);
const provider = new ComponentProvider({ name: PROVIDER, dirname: ROOT, components: served });

describe("component plugin (Pulumi schema inference on this repository)", () => {
  const source = new SourceReading();
  const publicComponents = source.publicComponents();
  let schema: Schema;
  before(async () => {
    schema = JSON.parse(await provider.getSchema()) as Schema;
  });

  it("serves every component components/index.ts exports, and nothing else", () => {
    const names = publicComponents.map((c) => c.name!.text).sort();
    assert.ok(names.length >= 6, `found ${names.join(", ")}`);
    for (const required of [
      "MailhostFleet",
      "MailhostFleetInNetwork",
      "ExistingVmTuning",
      "GuestContentStore",
      "PortExhaustionMonitoring",
      "EstateTuningPolicy",
    ])
      assert.ok(names.includes(required), required);
    assert.deepEqual(served.map((c) => c.name).sort(), names, "the plugin runner finds the same components in the module");
    assert.deepEqual(Object.keys(schema.resources).sort(), names.map(typeToken).sort());
  });

  it("types and documents every input of every component as its TypeScript Args does", () => {
    for (const component of publicComponents) {
      const name = component.name!.text;
      const resource = schema.resources[typeToken(name)];
      assert.equal(resource.isComponent, true);
      assert.ok(resource.description && resource.description.length > 40, `${name} has its class doc comment`);
      const inputs = source.inputsOf(component);
      assert.deepEqual(Object.keys(resource.inputProperties).sort(), [...inputs.keys()].sort(), `${name} inputs`);
      assert.deepEqual(
        resource.requiredInputs,
        [...inputs]
          .filter(([, i]) => !i.optional)
          .map(([n]) => n)
          .sort(),
        `${name} required inputs`,
      );
      for (const [input, want] of inputs) {
        const property = resource.inputProperties[input];
        assert.ok(want.description.length > 0, `${name}Args.${input} has a doc comment`);
        assert.equal(property.description, want.description, `${name}.${input} description`);
        assert.deepEqual(shapeOf(property, schema), want.type, `${name}.${input} type`);
      }
    }
  });

  it("outputs are the public properties, typed and documented; TypeScript-only members are getters", () => {
    for (const component of publicComponents) {
      const name = component.name!.text;
      const resource = schema.resources[typeToken(name)];
      const outputs = source.outputsOf(component);
      assert.ok(outputs.size > 0, `${name} has outputs for other languages`);
      assert.deepEqual(Object.keys(resource.properties).sort(), [...outputs.keys()].sort(), `${name} outputs`);
      for (const [output, want] of outputs) {
        assert.ok(want.description.length > 0, `${name}.${output} has a doc comment`);
        assert.equal(resource.properties[output].description, want.description, `${name}.${output} description`);
        assert.deepEqual(shapeOf(resource.properties[output], schema), want.type, `${name}.${output} type`);
      }
    }
  });

  it("defines every object type and enum the inputs reach, property by property, as the source does", () => {
    assert.ok(source.types.size > 10, `${source.types.size} types`);
    for (const [name, want] of source.types) {
      const type = schema.types[typeToken(name)];
      assert.ok(type, `type ${name} is in the schema`);
      if (want.kind === "enum") {
        assert.equal(type.type, want.type, `${name} enum type`);
        assert.deepEqual(type.enum, want.members, `${name} members`);
        continue;
      }
      assert.deepEqual(Object.keys(type.properties ?? {}).sort(), [...want.properties.keys()].sort(), `${name} properties`);
      assert.deepEqual(
        type.required ?? [],
        [...want.properties]
          .filter(([, p]) => !p.optional)
          .map(([n]) => n)
          .sort(),
        `${name} required`,
      );
      for (const [property, expected] of want.properties) {
        assert.ok(expected.description.length > 0, `${name}.${property} has a doc comment`);
        assert.equal(type.properties![property].description, expected.description, `${name}.${property} description`);
        assert.deepEqual(shapeOf(type.properties![property], schema), expected.type, `${name}.${property} type`);
      }
    }
    assert.deepEqual(Object.keys(schema.types).sort(), [...source.types.keys()].map(typeToken).sort(), "no type the source does not reach");
  });

  it("the Python, C# and YAML examples of docs/LANGUAGES.md use only components, inputs, outputs, types and enum members the schema has", () => {
    const doc = readFileSync(path.join(ROOT, "docs", "LANGUAGES.md"), "utf8");
    const blocks = (language: string) => [...doc.matchAll(new RegExp("```" + language + "\\n([\\s\\S]*?)```", "g"))].map((m) => m[1]);
    const last = (token: string) => token.split(":").pop()!;
    const components = new Map(Object.entries(schema.resources).map(([token, r]) => [last(token), r]));
    const objectTypes = new Map(
      Object.entries(schema.types)
        .filter(([, t]) => t.properties)
        .map(([token, t]) => [last(token), t]),
    );
    const enums = new Map(
      Object.entries(schema.types)
        .filter(([, t]) => t.enum)
        .map(([token, t]) => [last(token), t.enum!]),
    );
    const names = new Set<string>();
    for (const r of components.values()) for (const n of [...Object.keys(r.inputProperties), ...Object.keys(r.properties)]) names.add(n);
    for (const t of objectTypes.values()) for (const n of Object.keys(t.properties!)) names.add(n);
    const camel = (snake: string) => snake.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
    const upperSnake = (pascal: string) => pascal.replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();
    let checked = 0;
    const known = (name: string, where: string) => {
      assert.ok(names.has(name), `${where}: ${name} is no input, output or type property of the schema`);
      checked++;
    };

    // YAML: every property of every mailhost-iac resource, recursively, against its schema type.
    const typeOf = (ref: string | undefined) => (ref?.startsWith("#/types/") ? last(ref) : undefined);
    const checkValue = (value: unknown, property: SchemaProperty, where: string): void => {
      if (typeof value === "string" && value.includes("${")) return;
      const type = typeOf(property.$ref);
      if (type !== undefined && enums.has(type)) {
        assert.ok(
          enums.get(type)!.some((m) => m.value === value),
          `${where}: ${JSON.stringify(value)} is a value of ${type}`,
        );
      } else if (type !== undefined) {
        checkObject(value as Record<string, unknown>, objectTypes.get(type)!.properties!, objectTypes.get(type)!.required ?? [], where);
      } else if (property.type === "array") {
        assert.ok(Array.isArray(value), `${where} is a list`);
        value.forEach((item, i) => checkValue(item, property.items!, `${where}[${i}]`));
      } else if (property.type === "object" && property.additionalProperties) {
        for (const [k, v] of Object.entries(value as object)) checkValue(v, property.additionalProperties, `${where}.${k}`);
      } else if (property.type !== undefined && property.$ref === undefined) {
        assert.equal(typeof value, property.type, `${where} is a ${property.type}`);
      }
    };
    const checkObject = (value: Record<string, unknown>, properties: Record<string, SchemaProperty>, required: readonly string[], where: string) => {
      for (const [key, v] of Object.entries(value)) {
        assert.ok(properties[key], `${where}.${key} is in the schema`);
        checked++;
        checkValue(v, properties[key], `${where}.${key}`);
      }
      for (const key of required) assert.ok(key in value, `${where}.${key} is required`);
    };
    for (const block of blocks("yaml")) {
      const program = parseYaml(block) as {
        resources?: Record<string, { type: string; properties?: Record<string, unknown> }>;
        outputs?: Record<string, string>;
      };
      const resources = Object.entries(program.resources ?? {}).filter(([, r]) => r.type.startsWith(`${PROVIDER}:index:`));
      for (const [name, r] of resources) {
        const component = components.get(last(r.type));
        assert.ok(component, `${name}: ${r.type} is served`);
        checkObject(r.properties ?? {}, component.inputProperties, component.requiredInputs, name);
      }
      for (const m of block.matchAll(/\$\{(\w+)\.(\w+)\}/g)) {
        const resource = program.resources?.[m[1]];
        if (resource === undefined || !resource.type.startsWith(`${PROVIDER}:index:`)) continue;
        assert.ok(components.get(last(resource.type))!.properties[m[2]], `yaml: ${m[1]}.${m[2]} is an output`);
        checked++;
      }
    }

    // Python: keyword arguments and dict keys (snake_case), enum members (UPPER_SNAKE), outputs.
    for (const block of blocks("python")) {
      for (const m of block.matchAll(/mailhost\.(\w+)\(/g)) assert.ok(components.has(m[1]), `python: mailhost.${m[1]} is served`);
      for (const m of block.matchAll(/[(,\s](\w+)=/g)) known(camel(m[1]), `python: ${m[1]}=`);
      for (const m of block.matchAll(/"([a-z][a-z0-9_]*)":/g)) known(camel(m[1]), `python: "${m[1]}"`);
      for (const m of block.matchAll(/mailhost\.(\w+)\.([A-Z0-9_]+)\b/g))
        assert.ok(
          enums.get(m[1])?.some((e) => upperSnake(e.name) === m[2]),
          `python: ${m[1]}.${m[2]} is an enum member`,
        );
      for (const m of block.matchAll(/\b(?!pulumi\b|config\b|mailhost\b)\w+\.([a-z][a-z0-9]*(?:_[a-z0-9]+)+)\b/g)) known(camel(m[1]), `python: .${m[1]}`);
    }

    // C#: `new XArgs` classes, property initialisers (PascalCase), enum members, outputs.
    for (const block of blocks("csharp")) {
      for (const m of block.matchAll(/new (\w+)Args\b/g))
        assert.ok(components.has(m[1]) || objectTypes.has(m[1]), `csharp: ${m[1]}Args is a component's or a type's`);
      for (const m of block.matchAll(/(?:^|[{,])\s*([A-Z]\w*) = /gm)) known(m[1][0].toLowerCase() + m[1].slice(1), `csharp: ${m[1]} =`);
      for (const m of block.matchAll(/\b([A-Z]\w+)\.([A-Z]\w+)\b/g))
        if (enums.has(m[1]))
          assert.ok(
            enums.get(m[1])!.some((e) => e.name === m[2]),
            `csharp: ${m[1]}.${m[2]} is an enum member`,
          );
      for (const m of block.matchAll(/\b(?!config\b)[a-z]\w*\.([A-Z]\w+)\b/g)) known(m[1][0].toLowerCase() + m[1].slice(1), `csharp: .${m[1]}`);
    }
    assert.ok(checked > 150, `${checked} names checked`);
    for (const component of components.keys())
      assert.ok(
        blocks("python").some((b) => b.includes(`mailhost.${component}(`)) && blocks("csharp").some((b) => b.includes(`new ${component}(`)),
        `${component} has a Python and a C# example`,
      );
  });

  it("every description reads as written: no unresolved link, no serialised object", () => {
    const all = descriptions(schema);
    assert.ok(all.length > 100, `${all.length} descriptions`);
    for (const [where, text] of all) {
      assert.doesNotMatch(text, /\[object Object\]|\{@link/, where);
      assert.ok(text.trim().length > 0, where);
    }
  });
});

describe("component plugin: components constructed through the provider under mocks", () => {
  /** Constructs one component as the engine asks the plugin to; returns what was registered and the state the plugin answers with. */
  async function construct(type: string, name: string, inputs: Record<string, unknown>) {
    let state: Record<string, unknown> = {};
    const run = await runOffline(
      async () => {
        const result = await provider.construct(name, typeToken(type), inputs, {});
        // The engine waits for the state's outputs before the construct call returns.
        state = await Promise.all(
          Object.entries(result.state).map(async ([k, v]) => [k, (await (v as { promise?: () => Promise<unknown> })?.promise?.()) ?? v] as const),
        ).then(Object.fromEntries);
        return {};
      },
      "dev",
      {},
    );
    const component = run.resources.find((r) => r.name === name && r.custom === false && r.type.startsWith("mailhost:azure:"));
    assert.ok(component, `${type} is registered`);
    const descendants = (urn: string): typeof run.resources => run.resources.filter((r) => r.parent === urn).flatMap((r) => [r, ...descendants(r.urn)]);
    return { run, component, children: run.resources.filter((r) => r.parent === component.urn), descendants: descendants(component.urn), state };
  }

  it("GuestContentStore: its storage account and package container are its children", async () => {
    const { children, state } = await construct("GuestContentStore", "store", {
      resourceGroupName: "rg-mail",
      accountName: "mailhostcontent",
      tags: { team: "mail" },
    });
    assert.deepEqual(children.map((r) => r.type).sort(), ["azure-native:storage:BlobContainer", "azure-native:storage:StorageAccount"]);
    const account = children.find((r) => r.type === "azure-native:storage:StorageAccount");
    assert.deepEqual([account?.inputs.accountName, account?.inputs.resourceGroupName, account?.inputs.tags], ["mailhostcontent", "rg-mail", { team: "mail" }]);
    assert.equal(state.blobEndpoint, "https://mailhostcontent.blob.core.windows.net/");
    assert.ok(
      String(state.packageContainerId).endsWith("/mailhostcontent/blobServices/default/containers/mailhost-machine-configuration"),
      String(state.packageContainerId),
    );
  });

  it("ExistingVmTuning with a store given by its values: the package blob, the reader role and the Machine Configuration tuning are its own", async () => {
    const packageContainerId =
      "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-mail-shared/providers/Microsoft.Storage/storageAccounts/stmailcontent001/blobServices/default/containers/mailhost-machine-configuration";
    const { children, descendants, state } = await construct("ExistingVmTuning", "vm1", {
      vmId: existingVmId("mailfe01"),
      tcp: { tuning: "machineConfiguration", tcpTimedWaitDelay: 60 },
      siteConfig: { mailboxCacheTtl: 900 },
      capacity: { activeSessionsPerHost: 15000, backendEndpoints: 2 },
      store: { packageContainerId, blobEndpoint: "https://stmailcontent001.blob.core.windows.net/" },
    });
    assert.deepEqual(children.map((r) => r.type).sort(), [
      "azure-native:authorization:RoleAssignment",
      "azure-native:storage:Blob",
      "mailhost:azure:MachineConfigurationTuning",
    ]);
    const blob = children.find((r) => r.type === "azure-native:storage:Blob")!;
    assert.deepEqual(
      [blob.inputs.resourceGroupName, blob.inputs.accountName, blob.inputs.containerName],
      ["rg-mail-shared", "stmailcontent001", "mailhost-machine-configuration"],
    );
    const role = children.find((r) => r.type === "azure-native:authorization:RoleAssignment")!;
    assert.equal(role.inputs.scope, packageContainerId);
    assert.match(String(role.inputs.principalId), /^[0-9a-f-]{36}$/, "the VM's system-assigned principal, as Azure reports it");
    const assignment = descendants.find((r) => r.type === "azure-native:guestconfiguration:GuestConfigurationAssignment")!;
    const guestConfiguration = (assignment.inputs as { properties: { guestConfiguration: { contentUri: string; contentHash: string } } }).properties
      .guestConfiguration;
    assert.equal(guestConfiguration.contentUri, `https://stmailcontent001.blob.core.windows.net/mailhost-machine-configuration/${blob.inputs.blobName}`);
    assert.ok(String(blob.inputs.blobName).endsWith(`MailhostTcpTuning-${guestConfiguration.contentHash}.zip`));
    assert.deepEqual(state, { mechanism: "machineConfiguration", effectiveTtlFloor: state.effectiveTtlFloor });
    assert.ok(Number(state.effectiveTtlFloor) >= 300);
  });

  it("MailhostFleet: the site, the monitoring and every host are registered below it before the plugin answers", async () => {
    const { component, descendants, state } = await construct("MailhostFleet", "mail", {
      environment: "dev",
      fleet: { hostCount: 3, vmSize: "Standard_D2s_v5", adminUsername: "mailops", allowedImapCidrs: ["10.20.0.0/16"], zones: ["1", "2"] },
      tcp: { tuning: "runCommand" },
      siteConfig: { mailboxCacheTtl: 900 },
      capacity: { activeSessionsPerHost: 15000, backendEndpoints: 2 },
      adminPassword: "Test-Only-Passw0rd!",
    });
    assert.equal(component.type, "mailhost:azure:MailhostFleet");
    const count = (type: string) => descendants.filter((r) => r.type === type).length;
    assert.equal(count("mailhost:azure:MailSite"), 1);
    assert.equal(count("mailhost:azure:Monitoring"), 1);
    assert.equal(count("mailhost:azure:WindowsMailHost"), 3);
    assert.equal(count("azure-native:compute:VirtualMachine"), 3);
    assert.equal(count("azure-native:compute:VirtualMachineRunCommandByVirtualMachine"), 3);
    assert.deepEqual(state.hostNames, ["vm-mail-dev-001", "vm-mail-dev-002", "vm-mail-dev-003"]);
    assert.equal((state.vmIds as string[]).length, 3);
    assert.equal(state.resourceGroupName, "rg-mailhost-dev");
    assert.match(String(state.dataCollectionRuleId), /\/dcr-mailhost-dev$/);
  });

  it("a setting out of range is refused with the stack config's message, before anything exists", async () => {
    await assert.rejects(
      construct("ExistingVmTuning", "bad", {
        vmId: existingVmId("mailfe01"),
        tcp: { tuning: "runCommand", tcpTimedWaitDelay: 301 },
        siteConfig: { mailboxCacheTtl: 900 },
        capacity: { activeSessionsPerHost: 1, backendEndpoints: 1 },
      }),
      /mailhost:tcp\.tcpTimedWaitDelay = 301 is outside 30–300 \(seconds\)/,
    );
  });
});

describe("component plugin entry point", () => {
  it("the plugin loads the package's main, the library's entry point, so npm consumers and the plugin see the same components", () => {
    // Pulumi runs a nodejs plugin by require()-ing its folder: Node then loads package.json's
    // `main` (a bare `mailhost-iac` import resolves through `exports`).
    assert.equal(PACKAGE.main, PACKAGE.exports["."].default.replace(/^\.\//, ""));
    assert.equal(PACKAGE.main.replace(/^dist\//, "").replace(/\.js$/, ".ts"), path.relative(ROOT, ENTRY));
    assert.equal(readFileSync(path.join(ROOT, "PulumiPlugin.yaml"), "utf8").trim(), "runtime: nodejs");
  });
});
