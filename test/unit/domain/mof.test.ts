import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as fc from "fast-check";
import { requireStackConfig } from "../../../domain/config";
import { fromBase64Url } from "../../../domain/guestEncoding";
import { MAILHOST_TCP_TUNING, TUNED_PROPERTIES } from "../../../domain/machineConfiguration";
import { escapeMofString, mofLiteral, tuningMof, writeMof } from "../../../domain/mof";
import { planFleet } from "../../../domain/plan";
import { loadSiteConfigTemplate } from "../../../content/siteConfigTemplate";
import { type MofReadInstance, readMof, readMofString } from "../../support/mofReader";

const GOLDEN = path.join(__dirname, "..", "..", "golden", "MailhostTcpTuning.mof");

/** A plan whose SiteConfig.cfg path holds backslashes and a space, and a setting value quotes. */
const SITE_CONFIG_PATH = "C:\\Program Data\\Mail Front End\\SiteConfig.cfg";
const QUOTED_VALUE = 'Welcome to "mail" \\ front end';
const plan = planFleet(
  "golden",
  requireStackConfig({
    fleet: { hostCount: 2, vmSize: "Standard_D4s_v5", adminUsername: "mailops", allowedImapCidrs: ["10.0.0.0/8"] },
    tcp: { tuning: "machineConfiguration", maxUserPort: 65534, tcpTimedWaitDelay: 30, dynamicPortRange: { start: 10000, count: 55535 } },
    siteConfig: { path: SITE_CONFIG_PATH, mailboxCacheTtl: 900, settings: { Service: { Banner: QUOTED_VALUE } } },
    capacity: { activeSessionsPerHost: 1000, backendEndpoints: 2 },
  }),
  loadSiteConfigTemplate(),
);

/**
 * The structure of a compiled configuration, as PSDesiredStateConfiguration 2.0.7 writes it and
 * as the public compiled MOFs show it (Azure/GuestConfiguration tests/assets/TestMofs,
 * mirbach/AzureGuestConfigurationCIS, JelleBroekhuijsen/GuestConfigurationHelper): every
 * resource instance has an alias `$<Class><n>ref`, a ResourceID `[<Type>]<Name>`, quoted
 * ModuleName and ModuleVersion, a SourceInfo, and ConfigurationName as its last property; the
 * document ends with one OMI_ConfigurationDocument naming the configuration. Returns the problems.
 */
function structureProblems(instances: readonly MofReadInstance[]): string[] {
  const problems: string[] = [];
  const documents = instances.filter((i) => i.className === "OMI_ConfigurationDocument");
  if (documents.length !== 1 || instances[instances.length - 1] !== documents[0]) problems.push("exactly one OMI_ConfigurationDocument, last");
  const doc = Object.fromEntries(documents[0]?.properties ?? []);
  for (const key of ["Version", "MinimumCompatibleVersion", "Name"]) if (typeof doc[key] !== "string") problems.push(`document ${key} is a string`);
  if (JSON.stringify(doc.CompatibleVersionAdditionalProperties) !== JSON.stringify(["Omi_BaseResource:ConfigurationName"]))
    problems.push("document CompatibleVersionAdditionalProperties");
  const counters = new Map<string, number>();
  for (const instance of instances.filter((i) => i !== documents[0])) {
    const n = (counters.get(instance.className) ?? 0) + 1;
    counters.set(instance.className, n);
    if (instance.alias !== `$${instance.className}${n}ref`) problems.push(`${instance.className} alias ${instance.alias}`);
    const props = Object.fromEntries(instance.properties);
    if (typeof props.ResourceID !== "string" || !/^\[[A-Za-z0-9_]+\][^\]]+$/.test(props.ResourceID))
      problems.push(`${instance.className} ResourceID ${String(props.ResourceID)}`);
    for (const key of ["ModuleName", "ModuleVersion", "SourceInfo"])
      if (typeof props[key] !== "string") problems.push(`${instance.className} ${key} is a string`);
    const last = instance.properties[instance.properties.length - 1];
    if (last?.[0] !== "ConfigurationName" || last[1] !== doc.Name) problems.push(`${instance.className} ends with ConfigurationName = the document's Name`);
  }
  return problems;
}

describe("MOF writer", () => {
  it("writes the golden MOF for a plan with a backslashed path and a quoted setting value", () => {
    // Regenerate after a deliberate change with: UPDATE_GOLDEN=1 node --import tsx --test test/unit/domain/mof.test.ts
    const mof = tuningMof(plan.tuning);
    if (process.env.UPDATE_GOLDEN === "1") fs.writeFileSync(GOLDEN, mof);
    assert.equal(mof, fs.readFileSync(GOLDEN, "utf8"));
  });

  it("carries the plan's values: numbers as digits, the path and SiteConfig.cfg base64url-encoded and decodable", () => {
    const [instance] = readMof(tuningMof(plan.tuning));
    const props = Object.fromEntries(instance.properties);
    assert.equal(instance.className, MAILHOST_TCP_TUNING.className);
    assert.equal(props.ResourceID, `[${MAILHOST_TCP_TUNING.className}]${MAILHOST_TCP_TUNING.instanceName}`);
    assert.equal(props.ModuleName, MAILHOST_TCP_TUNING.moduleName);
    assert.equal(props.ModuleVersion, MAILHOST_TCP_TUNING.moduleVersion);
    assert.equal(props.IsSingleInstance, "Yes");
    assert.equal(props.MaxUserPort, String(plan.tuning.maxUserPort));
    assert.equal(props.TcpTimedWaitDelay, String(plan.tuning.tcpTimedWaitDelay));
    assert.equal(props.DynamicPortRangeStartPort, String(plan.tuning.dynamicPortRangeStart));
    assert.equal(props.DynamicPortRangeNumberOfPorts, String(plan.tuning.dynamicPortRangeCount));
    assert.equal(fromBase64Url(String(props.SiteConfigPathBase64Url)), SITE_CONFIG_PATH);
    const content = fromBase64Url(String(props.SiteConfigContentBase64Url));
    assert.equal(content, plan.tuning.siteConfigContent);
    assert.ok(content.includes(QUOTED_VALUE) && content.includes("\r\n"), "quotes and CRLF survive because the text travels encoded");
    assert.equal(props.SiteConfigSha256, plan.tuning.siteConfigSha256);
    // Every tuned property is a string: assignments override them as strings.
    for (const property of TUNED_PROPERTIES) assert.equal(typeof props[property], "string", property);
  });

  it("escapes backslashes, line breaks and quotes in that order, as PSDesiredStateConfiguration 2.0.7 does", () => {
    assert.equal(escapeMofString(SITE_CONFIG_PATH), "C:\\\\Program Data\\\\Mail Front End\\\\SiteConfig.cfg");
    assert.equal(escapeMofString(QUOTED_VALUE), 'Welcome to \\"mail\\" \\\\ front end');
    assert.equal(escapeMofString("a\r\nb\nc"), "a\\nb\\nc");
    // A backslash before n stays a backslash and an n, not a line break.
    assert.equal(escapeMofString("\\n"), "\\\\n");
    assert.equal(mofLiteral(["a", 'b"']), '{\r\n    "a",\r\n    "b\\""\r\n}');
    assert.equal(mofLiteral(true), "True");
    assert.equal(mofLiteral(42), "42");
    const golden = writeMof("Escapes", [
      {
        className: "Example",
        resourceType: "Example",
        instanceName: "e1",
        moduleName: "ExampleModule",
        moduleVersion: "2.0.0",
        sourceInfo: "C:\\src\\x.ps1::3::5::Example",
        properties: [
          ["Path", SITE_CONFIG_PATH],
          ["Text", QUOTED_VALUE],
        ],
      },
    ]);
    assert.ok(golden.includes('    Path = "C:\\\\Program Data\\\\Mail Front End\\\\SiteConfig.cfg";\r\n'));
    assert.ok(golden.includes('    Text = "Welcome to \\"mail\\" \\\\ front end";\r\n'));
    assert.ok(golden.includes('    SourceInfo = "C:\\\\src\\\\x.ps1::3::5::Example";\r\n'));
  });

  it("refuses a lone carriage return, a bad property name, a reserved or repeated property and an empty array", () => {
    assert.throws(() => escapeMofString("a\rb"), /lone carriage return/);
    const base = { className: "Example", resourceType: "Example", instanceName: "e", moduleName: "M", moduleVersion: "1.0.0", sourceInfo: "" };
    assert.throws(() => writeMof("C", [{ ...base, properties: [["Bad Name", "x"]] }]), /not a MOF identifier/);
    assert.throws(() => writeMof("C", [{ ...base, properties: [["ModuleVersion", "9"]] }]), /set twice or is set by the writer/);
    assert.throws(
      () =>
        writeMof("C", [
          {
            ...base,
            properties: [
              ["A", "1"],
              ["a", "2"],
            ],
          },
        ]),
      /set twice/,
    );
    assert.throws(() => writeMof("C", [{ ...base, properties: [["A", []]] }]), /empty array/);
  });

  it("round-trips every string without carriage returns through escape and a MOF reader (property test)", () => {
    // Any Unicode text; CR only inside CRLF pairs is not allowed either, since CRLF becomes LF.
    const text = fc.string({ unit: "grapheme", maxLength: 200 }).map((s) => s.replace(/\r/g, ""));
    fc.assert(
      fc.property(text, (s) => readMofString(`"${escapeMofString(s)}"`) === s),
      { numRuns: 2000 },
    );
    const tricky = fc.array(fc.constantFrom("\\", '"', "\n", "n", "\\n", '\\"', "'", "$", "\t", "é", "}", ";", "/*"), { maxLength: 40 }).map((a) => a.join(""));
    fc.assert(
      fc.property(tricky, (s) => readMofString(`"${escapeMofString(s)}"`) === s),
      { numRuns: 2000 },
    );
    // Whole documents too: every property comes back with its value.
    fc.assert(
      fc.property(fc.array(text, { minLength: 1, maxLength: 5 }), (values) => {
        const mof = writeMof("Prop", [
          {
            className: "P",
            resourceType: "P",
            instanceName: "p",
            moduleName: "M",
            moduleVersion: "1.0.0",
            sourceInfo: "",
            properties: values.map((v, i) => [`V${i}`, v] as const),
          },
        ]);
        const props = Object.fromEntries(readMof(mof)[0].properties);
        return values.every((v, i) => props[`V${i}`] === v);
      }),
      { numRuns: 300 },
    );
  });

  it("has the structure of compiled MOFs: alias, ResourceID, module, SourceInfo, ConfigurationName last, one OMI_ConfigurationDocument", () => {
    const ours = readMof(tuningMof(plan.tuning));
    assert.deepEqual(structureProblems(ours), []);
    assert.equal(ours.length, 2);
    assert.deepEqual(
      ours[0].properties.slice(0, 4).map(([k]) => k),
      ["ResourceID", "SourceInfo", "ModuleName", "ModuleVersion"],
    );
    assert.equal(Object.fromEntries(ours[1].properties).Name, MAILHOST_TCP_TUNING.configurationName);
    // The checker itself accepts what PSDesiredStateConfiguration 2.0.7 really writes (a header
    // comment, properties in hashtable order, CR CR LF line ends, the document's odd indentation)
    // and rejects a document whose instance lacks its ConfigurationName.
    const psdsc207 = [
      "/*",
      "@TargetNode='localhost'",
      "@GeneratedBy=someone",
      "@GenerationDate=01/02/2026 03:04:05",
      "@GenerationHost=HOST",
      "*/",
      "",
      "instance of MSFT_RegistryResource as $MSFT_RegistryResource1ref",
      "{",
      'ValueName = "MaxUserPort";',
      ' ModuleName = "PSDscResources";',
      ' Key = "HKLM\\\\SYSTEM\\\\CurrentControlSet\\\\Services\\\\Tcpip\\\\Parameters";',
      ' SourceInfo = "C:\\\\src\\\\Tune.ps1::9::9::Registry";',
      " ValueData = {",
      '    "65534"',
      "};",
      ' ModuleVersion = "2.12.0.0";',
      ' ResourceID = "[Registry]MaxUserPort";',
      ' ConfigurationName = "Tune";\r',
      "};\r",
      "instance of OMI_ConfigurationDocument",
      "",
      "                    {",
      ' Version="2.0.0";',
      "",
      '                        MinimumCompatibleVersion = "1.0.0";',
      "",
      '                        CompatibleVersionAdditionalProperties= {"Omi_BaseResource:ConfigurationName"};',
      "",
      '                        Author="someone";',
      "",
      '                        Name="Tune";',
      "",
      "                    };",
      "",
    ].join("\r\n");
    assert.deepEqual(structureProblems(readMof(psdsc207)), []);
    assert.notDeepEqual(structureProblems(readMof(psdsc207.replace(' ConfigurationName = "Tune";\r', ""))), []);
  });
});
