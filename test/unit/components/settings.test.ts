/**
 * The components' settings are written out as interfaces (Pulumi's schema inference serves them to
 * other languages), yet the stack-config JSON schema stays their one source of truth:
 * - at compile time (`tsc`, part of `npm test`), each interface and enum equals the type derived
 *   from the schema, key by key and level by level: a key added to, removed from or retyped in the
 *   schema fails the build until the interface follows;
 * - the enums hold exactly the values the schema allows;
 * - every range and numeric or text default the schema checks is in the property's doc comment
 *   (which other languages see as its description), generated from `domain/limits.ts` and fresh.
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import ts from "typescript";
import {
  type StackConfigInput,
  type TuningMechanism as ConfigTuningMechanism,
  type WindowsVersion as ConfigWindowsVersion,
  TUNING_MECHANISMS,
  WINDOWS_VERSIONS,
  configSchema,
} from "../../../domain/config";
import { EGRESS_KINDS, type EgressKind as ConfigEgressKind } from "../../../domain/egress";
import { ALERT_WINDOW_MINUTES, CORRECTION_WINDOW_MINUTES } from "../../../domain/limits";
import {
  AlertWindowMinutes,
  AvailabilityZone,
  type CapacitySettings,
  CorrectionWindowMinutes,
  EgressKind,
  type EgressSettings,
  type FleetSettings,
  type HostSettings,
  type MonitoringAlertSettings,
  type MonitoringSettings,
  type SiteConfigSettings,
  type TcpSettings,
  type TcpValues,
  TuningMechanism,
  WindowsVersion,
} from "../../../components/settings";
import { limitCommentFiles, referencesIn, resolveReference, withLimitsInComments } from "../../../scripts/limitsInComments";
import { REPO_ROOT } from "../../support/stacks";

// ---- Compile time: the written-out types are the schema's ---------------------------------------

/** True when A and B are the same type (optionality and `any` included). */
type Equal<A, B> = (<X>() => X extends A ? 1 : 2) extends <X>() => X extends B ? 1 : 2 ? true : false;
/** Without `readonly` (the interfaces are read-only, the schema's type is not), flattened, at every level. */
type Plain<T> = T extends (infer U)[] ? Plain<U>[] : T extends object ? { -readonly [K in keyof T]: Plain<T[K]> } : T;
type Same<A, B> = Equal<Plain<A>, Plain<B>>;
type Schema = StackConfigInput;
type SchemaMonitoring = NonNullable<Schema["monitoring"]>;
/** The INI value is `any` in the interface (the inference takes no union of string, number and boolean); the schema's is that union. */
type IniOf<T> = NonNullable<T extends { readonly settings?: infer S } ? S : never>;

const compileTimeChecks: [
  Same<FleetSettings, Schema["fleet"]>,
  Same<HostSettings, Omit<Schema["fleet"], "addressPrefix" | "allowedImapCidrs">>,
  Same<TcpSettings, Schema["tcp"]>,
  Same<TcpValues, Omit<Schema["tcp"], "tuning">>,
  Same<Omit<SiteConfigSettings, "settings">, Omit<Schema["siteConfig"], "settings">>,
  Equal<IniOf<SiteConfigSettings>, Record<string, Record<string, any>>>,
  Same<IniOf<Schema["siteConfig"]>, Record<string, Record<string, string | number | boolean>>>,
  Same<CapacitySettings, Schema["capacity"]>,
  Same<EgressSettings, NonNullable<Schema["egress"]>>,
  Same<MonitoringSettings, SchemaMonitoring>,
  Same<MonitoringAlertSettings, Omit<SchemaMonitoring, "enabled" | "workspaceResourceId" | "workspaceLocation" | "retentionInDays">>,
  Equal<TuningMechanism, ConfigTuningMechanism>,
  Equal<WindowsVersion, ConfigWindowsVersion>,
  Equal<EgressKind, ConfigEgressKind>,
  Equal<AvailabilityZone, NonNullable<Schema["fleet"]["zones"]>[number]>,
  Equal<AlertWindowMinutes, (typeof ALERT_WINDOW_MINUTES)[number]>,
  Equal<CorrectionWindowMinutes, (typeof CORRECTION_WINDOW_MINUTES)[number]>,
] = [true, true, true, true, true, true, true, true, true, true, true, true, true, true, true, true, true];

// ---- Run time ----------------------------------------------------------------------------------

describe("component settings: the stack-config schema is their one source of truth", () => {
  it("every compile-time equality above holds (tsc refuses the file otherwise)", () => {
    assert.equal(compileTimeChecks.length, 17);
    assert.ok(compileTimeChecks.every((c) => c === true));
  });

  it("the enums hold exactly the values the schema allows", () => {
    const values = (o: object) => Object.values(o).map(String).sort();
    const fleet = configSchema.properties.fleet.properties;
    const alerts = configSchema.properties.monitoring.properties.alerts.properties;
    assert.deepEqual(values(TuningMechanism), [...configSchema.properties.tcp.properties.tuning.enum].map(String).sort());
    assert.deepEqual(values(TuningMechanism), [...TUNING_MECHANISMS].sort());
    assert.deepEqual(values(WindowsVersion), [...fleet.windowsVersion.enum].sort());
    assert.deepEqual(values(WindowsVersion), [...WINDOWS_VERSIONS].sort());
    assert.deepEqual(values(AvailabilityZone), [...fleet.zones.items.enum].sort());
    assert.deepEqual(values(EgressKind), [...configSchema.properties.egress.properties.kind.enum].sort());
    assert.deepEqual(values(EgressKind), [...EGRESS_KINDS].sort());
    assert.deepEqual(values(AlertWindowMinutes), [...alerts.windowMinutes.enum].map(String).sort());
    assert.deepEqual(values(CorrectionWindowMinutes), [...alerts.correctionWindowMinutes.enum].map(String).sort());
  });
});

interface SchemaNode {
  type?: string | readonly string[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  default?: unknown;
  required?: readonly string[];
  properties?: Record<string, SchemaNode>;
  "x-unit"?: string;
}

/** The doc comment of every property of an interface and of the interfaces it reaches, by stack-config path. */
function docsByPath(): Map<string, string> {
  const file = path.join(REPO_ROOT, "components", "settings.ts");
  const program = ts.createProgram([file], {
    strict: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    skipLibCheck: true,
    noEmit: true,
  });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file)!;
  const docs = new Map<string, string>();
  const visit = (type: ts.Type, prefix: string) => {
    for (const symbol of type.getProperties()) {
      const key = `${prefix}.${symbol.getName()}`;
      docs.set(key, ts.displayPartsToString(symbol.getDocumentationComment(checker)));
      const inner = checker.getNonNullableType(checker.getTypeOfSymbol(symbol));
      if (inner.isClassOrInterface()) visit(inner, key);
    }
  };
  const roots: Record<string, string> = {
    fleet: "FleetSettings",
    tcp: "TcpSettings",
    siteConfig: "SiteConfigSettings",
    capacity: "CapacitySettings",
    egress: "EgressSettings",
    monitoring: "MonitoringSettings",
  };
  for (const [key, name] of Object.entries(roots)) {
    const declaration = source.statements.find((s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === name);
    assert.ok(declaration, name);
    visit(checker.getTypeAtLocation(declaration), key);
  }
  return docs;
}

describe("component settings: their doc comments state what the schema checks", () => {
  const docs = docsByPath();
  /** Every leaf of the schema with its path. */
  const leaves: Array<[string, SchemaNode]> = [];
  const walk = (node: SchemaNode, at: string) => {
    if (node.type === "object" && node.properties) for (const [k, child] of Object.entries(node.properties)) walk(child, at === "" ? k : `${at}.${k}`);
    else leaves.push([at, node]);
  };
  walk(configSchema as unknown as SchemaNode, "");

  it("every schema key has a documented property", () => {
    assert.ok(leaves.length > 30, `${leaves.length} keys`);
    for (const [at] of leaves) assert.ok((docs.get(at) ?? "").length > 0, `${at} is documented`);
  });

  it("every range and every numeric or text default the schema checks is in the doc comment, with its limit", () => {
    let ranges = 0;
    let defaults = 0;
    for (const [at, node] of leaves) {
      const doc = docs.get(at) ?? "";
      if (node.minimum !== undefined && node.maximum !== undefined) {
        assert.ok(
          doc.includes(`Range: ${node.minimum}–${node.maximum} (${node["x-unit"]}; \``),
          `${at}: "${doc}" states ${node.minimum}–${node.maximum} (${node["x-unit"]})`,
        );
        ranges++;
      }
      if (node.exclusiveMinimum !== undefined && node.maximum !== undefined) {
        assert.ok(doc.includes(`Range: ${node.exclusiveMinimum}–${node.maximum} (${node["x-unit"]}, ${node.exclusiveMinimum} excluded; \``), `${at}: "${doc}"`);
        ranges++;
      }
      if (typeof node.default === "number") {
        assert.ok(doc.includes(`Defaults to ${node.default} (\``), `${at}: "${doc}" states the default ${node.default}`);
        defaults++;
      }
      if (typeof node.default === "string") {
        assert.ok(doc.includes(`Defaults to \`${node.default}\` (\``), `${at}: "${doc}" states the default ${node.default}`);
        defaults++;
      }
    }
    assert.ok(ranges >= 20 && defaults >= 15, `${ranges} ranges, ${defaults} defaults`);
  });
});

describe("numbers in the components' doc comments are generated from domain/limits.ts", () => {
  const files = limitCommentFiles(REPO_ROOT);

  it("every file is as `npm run docs` writes it, and every reference names a constant", () => {
    let references = 0;
    for (const file of files) {
      const text = fs.readFileSync(file, "utf8");
      for (const reference of referencesIn(text)) {
        assert.notEqual(resolveReference(reference), undefined, `${path.relative(REPO_ROOT, file)}: ${reference}`);
        references++;
      }
      assert.equal(withLimitsInComments(text, file), text, `${path.relative(REPO_ROOT, file)} is stale: run npm run docs`);
    }
    assert.ok(references >= 40, `${references} references`);
  });

  it("rewrites a stale number and unit from the constant, and refuses a name that is no constant", () => {
    assert.equal(
      withLimitsInComments("Range: 1–2 (minutes; `TCP_TIMED_WAIT_DELAY`). Defaults to 7 (`DEFAULTS.tcpTimedWaitDelay`)."),
      `Range: ${resolveReference("TCP_TIMED_WAIT_DELAY.min")}–${resolveReference("TCP_TIMED_WAIT_DELAY.max")} (${resolveReference("TCP_TIMED_WAIT_DELAY.unit")}; \`TCP_TIMED_WAIT_DELAY\`). Defaults to ${resolveReference("DEFAULTS.tcpTimedWaitDelay")} (\`DEFAULTS.tcpTimedWaitDelay\`).`,
    );
    assert.throws(() => withLimitsInComments("at most 9 (`NO_SUCH_LIMIT`)"), /NO_SUCH_LIMIT/);
  });
});
