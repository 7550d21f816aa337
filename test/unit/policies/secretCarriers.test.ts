/**
 * One secret rule for every carrier and every encoding, as a property test. The expected verdict
 * comes from RULE below (which slots Azure protects, per carrier, from Microsoft's docs: see
 * policies/lib/secretCarriers.ts), never from the policy's own table: a secret-looking value in a
 * plain slot is rejected, in a protected slot accepted, in any guest configuration parameter
 * (protected or not) rejected, whatever encoding it travels in.
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import * as fc from "fast-check";
import type * as compute from "@pulumi/azure-native/compute";
import type * as guestconfiguration from "@pulumi/azure-native/guestconfiguration";
import type * as hybridcompute from "@pulumi/azure-native/hybridcompute";
import { secretsOnlyProtected } from "../../../policies/rules/secretsOnlyProtected";
import { violations, type TestResource } from "./harness";
import { dscExtensionArgs, estateAssignment, estateDefinition, gcAssignmentArgs, runCommandArgs, resource } from "./fixtures";

type Verdict = "plain" | "protected" | "never";
type Shape = "settings" | "parameters" | "configurationParameters";

/** A slot of the rule: where it sits on the resource and whether Azure protects it. */
interface RuleSlot {
  readonly path: readonly string[];
  readonly shape: Shape;
  readonly verdict: Verdict;
}
interface RuleCarrier {
  readonly type: string;
  readonly base: () => TestResource;
  readonly slots: readonly RuleSlot[];
}

const extensionSlots = (prefix: string[]): RuleSlot[] => [
  { path: [...prefix, "settings"], shape: "settings", verdict: "plain" },
  { path: [...prefix, "protectedSettings"], shape: "settings", verdict: "protected" },
];
const runCommandSlots: RuleSlot[] = [
  { path: ["parameters"], shape: "parameters", verdict: "plain" },
  { path: ["protectedParameters"], shape: "parameters", verdict: "protected" },
];
const GC = ["properties", "guestConfiguration"];
const guestConfigurationSlots: RuleSlot[] = [
  { path: [...GC, "configurationParameter"], shape: "configurationParameters", verdict: "never" },
  { path: [...GC, "configurationProtectedParameter"], shape: "configurationParameters", verdict: "never" },
];

const RG = "rg-mailhost-unit";
const vmssExtensionArgs: compute.VirtualMachineScaleSetExtensionArgs = {
  resourceGroupName: RG,
  vmScaleSetName: "vmss-mail-unit",
  vmssExtensionName: "Microsoft.Powershell.DSC",
  publisher: "Microsoft.Powershell",
  type: "DSC",
  typeHandlerVersion: "2.83",
  settings: { wmfVersion: "latest", configurationArguments: { MaxUserPort: 65534 } },
  protectedSettings: {},
};
const vmssVmExtensionArgs: compute.VirtualMachineScaleSetVMExtensionArgs = {
  resourceGroupName: RG,
  vmScaleSetName: "vmss-mail-unit",
  instanceId: "0",
  vmExtensionName: "Microsoft.Powershell.DSC",
  publisher: "Microsoft.Powershell",
  type: "DSC",
  typeHandlerVersion: "2.83",
  settings: { wmfVersion: "latest" },
  protectedSettings: {},
};
const scaleSetArgs: compute.VirtualMachineScaleSetArgs = {
  resourceGroupName: RG,
  vmScaleSetName: "vmss-mail-unit",
  virtualMachineProfile: {
    extensionProfile: {
      extensions: [
        { name: "dsc", publisher: "Microsoft.Powershell", type: "DSC", typeHandlerVersion: "2.83", settings: { wmfVersion: "latest" }, protectedSettings: {} },
      ],
    },
  },
};
const arcExtensionArgs: hybridcompute.MachineExtensionArgs = {
  resourceGroupName: RG,
  machineName: "arc-mail-unit-001",
  extensionName: "CustomScriptExtension",
  properties: { publisher: "Microsoft.Compute", type: "CustomScriptExtension", typeHandlerVersion: "1.10", settings: { timestamp: 1 }, protectedSettings: {} },
};
const vmssVmRunCommandArgs: compute.VirtualMachineScaleSetVMRunCommandArgs = {
  resourceGroupName: RG,
  vmScaleSetName: "vmss-mail-unit",
  instanceId: "0",
  runCommandName: "mailhost-tuning",
  source: { script: "param([string]$MaxUserPort)" },
  parameters: [{ name: "MaxUserPort", value: "65534" }],
  protectedParameters: [],
};
const arcRunCommandArgs: hybridcompute.MachineRunCommandArgs = {
  resourceGroupName: RG,
  machineName: "arc-mail-unit-001",
  runCommandName: "mailhost-tuning",
  source: { script: "param([string]$MaxUserPort)" },
  parameters: [{ name: "MaxUserPort", value: "65534" }],
  protectedParameters: [],
};
const gcWithProtected: guestconfiguration.GuestConfigurationAssignmentArgs = structuredClone(gcAssignmentArgs);
const withBothLists = (r: TestResource): TestResource => {
  const gc = (r.props.properties as any).guestConfiguration;
  gc.configurationProtectedParameter ??= [];
  return r;
};

/** The rule, per carrier: which slots are protected. From the docs, not from the policy. */
const RULE: readonly RuleCarrier[] = [
  {
    type: "azure-native:compute:VirtualMachineExtension",
    base: () => resource("azure-native:compute:VirtualMachineExtension", "ext", dscExtensionArgs),
    slots: extensionSlots([]),
  },
  {
    type: "azure-native:compute:VirtualMachineScaleSetExtension",
    base: () => resource("azure-native:compute:VirtualMachineScaleSetExtension", "vmss-ext", vmssExtensionArgs),
    slots: extensionSlots([]),
  },
  {
    type: "azure-native:compute:VirtualMachineScaleSetVMExtension",
    base: () => resource("azure-native:compute:VirtualMachineScaleSetVMExtension", "vmss-vm-ext", vmssVmExtensionArgs),
    slots: extensionSlots([]),
  },
  {
    type: "azure-native:compute:VirtualMachineScaleSet",
    base: () => resource("azure-native:compute:VirtualMachineScaleSet", "vmss", scaleSetArgs),
    slots: extensionSlots(["virtualMachineProfile", "extensionProfile", "extensions", "0"]),
  },
  {
    type: "azure-native:hybridcompute:MachineExtension",
    base: () => resource("azure-native:hybridcompute:MachineExtension", "arc-ext", arcExtensionArgs),
    slots: extensionSlots(["properties"]),
  },
  {
    type: "azure-native:compute:VirtualMachineRunCommandByVirtualMachine",
    base: () => resource("azure-native:compute:VirtualMachineRunCommandByVirtualMachine", "runcmd", runCommandArgs),
    slots: runCommandSlots,
  },
  {
    type: "azure-native:compute:VirtualMachineScaleSetVMRunCommand",
    base: () => resource("azure-native:compute:VirtualMachineScaleSetVMRunCommand", "vmss-runcmd", vmssVmRunCommandArgs),
    slots: runCommandSlots,
  },
  {
    type: "azure-native:hybridcompute:MachineRunCommand",
    base: () => resource("azure-native:hybridcompute:MachineRunCommand", "arc-runcmd", arcRunCommandArgs),
    slots: runCommandSlots,
  },
  ...[
    "GuestConfigurationAssignment",
    "GuestConfigurationAssignmentsVMSS",
    "GuestConfigurationHCRPAssignment",
    "GuestConfigurationConnectedVMwarevSphereAssignment",
  ].map((kind): RuleCarrier => ({
    type: `azure-native:guestconfiguration:${kind}`,
    base: () => withBothLists(resource(`azure-native:guestconfiguration:${kind}`, "assignment", gcWithProtected)),
    slots: guestConfigurationSlots,
  })),
  // Azure Policy has no secret parameter: every part of a definition or assignment is plain (the
  // estate definition's read-only package SAS, its one stated exception, is in the compliant base).
  ...["PolicyDefinition", "PolicyDefinitionAtManagementGroup"].map((kind): RuleCarrier => ({
    type: `azure-native:authorization:${kind}`,
    base: () => ({ ...estateDefinition(), type: `azure-native:authorization:${kind}` }),
    slots: [["parameters"], ["metadata"], ["policyRule"]].map((path): RuleSlot => ({ path, shape: "settings", verdict: "plain" })),
  })),
  { type: "azure-native:authorization:PolicyAssignment", base: estateAssignment, slots: [{ path: ["parameters"], shape: "settings", verdict: "plain" }] },
];

/** Encodings a value travels in: every one the product emits, and the ones a hand-written resource may use. */
const ENCODINGS: Record<string, (text: string) => string> = {
  plain: (t) => t,
  base64url: (t) => Buffer.from(t, "utf8").toString("base64url"),
  base64: (t) => Buffer.from(t, "utf8").toString("base64"),
  "base64 of UTF-16LE (-EncodedCommand)": (t) => Buffer.from(t, "utf16le").toString("base64"),
  "gzip, base64": (t) => gzipSync(Buffer.from(t, "utf8")).toString("base64"),
  "JSON-nested": (t) => JSON.stringify({ site: { lines: ["x", t] } }),
  "base64url of JSON": (t) => Buffer.from(JSON.stringify({ value: t }), "utf8").toString("base64url"),
  "percent-encoded": (t) => encodeURIComponent(t),
  "base64 of base64url": (t) => Buffer.from(Buffer.from(t, "utf8").toString("base64url"), "utf8").toString("base64"),
};

/** Names no one would read as a credential. */
const NEUTRAL_NAMES = ["SiteConfigContentBase64Url", "LogLevel", "Mode", "Payload", "Data", "Url", "Options", "Value"] as const;
const word = fc.stringMatching(/^[a-z0-9]{1,12}$/);
const signature = fc.uint8Array({ minLength: 16, maxLength: 32 }).map((b) => Buffer.from(b).toString("base64"));

/** A secret by its value: a SAS, a SAS-signed URL, a storage connection string, a private key. */
const secretValue = fc.oneof(
  signature.map((sig) => `?sv=2024-11-04&sr=b&sp=r&sig=${sig}`),
  fc.tuple(word, signature).map(([account, sig]) => `https://st${account}.blob.core.windows.net/c/a.zip?sv=2024-11-04&sp=r&sig=${encodeURIComponent(sig)}`),
  fc
    .tuple(word, signature)
    .map(([account, key]) => `DefaultEndpointsProtocol=https;AccountName=st${account};AccountKey=${key};EndpointSuffix=core.windows.net`),
  signature.map((sig) => `Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessSignature=${sig}`),
  signature.map((body) => `-----BEGIN RSA PRIVATE KEY-----\n${body}\n-----END RSA PRIVATE KEY-----`),
);
/** Text around it, as when it sits inside a SiteConfig.cfg or a script. */
const surrounded = fc
  .tuple(fc.constantFrom("", "[Storage]\r\nUrl = ", "prefix "), secretValue, fc.constantFrom("", "\r\n", " suffix"))
  .map(([a, s, b]) => `${a}${s}${b}`);

/** A placement of a value under a name in a slot. */
interface Placement {
  readonly name: string;
  readonly value: string;
  readonly depth: readonly string[];
}

function place(base: TestResource, slot: RuleSlot, p: Placement): TestResource {
  const r = structuredClone(base);
  let node: any = r.props;
  for (const key of slot.path.slice(0, -1)) node = node[key];
  const last = slot.path[slot.path.length - 1];
  if (slot.shape === "settings") {
    node[last] ??= {};
    let target = node[last];
    for (const key of p.depth) target = target[key] ??= {};
    target[p.name] = p.value;
  } else {
    node[last] ??= [];
    const name = slot.shape === "configurationParameters" ? `[MailhostTcpTuning]MailhostTcpTuning;${p.name}` : p.name;
    node[last].push({ name, value: p.value });
  }
  return r;
}

const ruleSlot = fc.constantFrom(...RULE.flatMap((carrier) => carrier.slots.map((slot) => ({ carrier, slot }))));
const encoding = fc.constantFrom(...Object.keys(ENCODINGS));
const depth = fc.array(fc.constantFrom("configuration", "options", "nested"), { maxLength: 2 });

describe("mailhost-secrets-only-in-protected-settings over every carrier and encoding", () => {
  it("every carrier's compliant fixture passes", async () => {
    for (const carrier of RULE) assert.deepEqual(await violations(secretsOnlyProtected, carrier.base()), [], carrier.type);
  });

  it("a secret-looking value is rejected in a plain slot and in any guest configuration parameter, accepted in a protected slot, in any encoding, never shown", async () => {
    await fc.assert(
      fc.asyncProperty(ruleSlot, encoding, surrounded, fc.constantFrom(...NEUTRAL_NAMES), depth, async ({ carrier, slot }, enc, secret, name, d) => {
        const value = ENCODINGS[enc](secret);
        const messages = await violations(secretsOnlyProtected, place(carrier.base(), slot, { name, value, depth: d }));
        if (slot.verdict === "protected") {
          assert.deepEqual(messages, []);
        } else {
          assert.equal(messages.length, 1, `${carrier.type} ${slot.path.join(".")} (${enc}): ${JSON.stringify(messages)}`);
          assert.ok(messages[0].includes("(value not shown)"));
          assert.ok(messages[0].includes(slot.path[slot.path.length - 1]), messages[0]);
          for (const piece of [secret, value, ...secret.split(/[=&;\n]/).filter((s) => s.length >= 12)])
            assert.ok(!messages[0].includes(piece), "the message shows the secret");
          if (slot.verdict === "never") assert.match(messages[0], /Machine Configuration has no secret management.*Key Vault/);
        }
      }),
      { numRuns: 400 },
    );
  });

  it("a value under a credential's name is rejected in a plain slot and in any guest configuration parameter, accepted in a protected slot", async () => {
    const secretName = fc.constantFrom("AdminPassword", "storageAccountKey", "apiKey", "configurationUrlSasToken", "ClientSecret", "ConnectionString");
    await fc.assert(
      fc.asyncProperty(ruleSlot, encoding, word, secretName, depth, async ({ carrier, slot }, enc, plain, name, d) => {
        const messages = await violations(secretsOnlyProtected, place(carrier.base(), slot, { name, value: ENCODINGS[enc](`pw-${plain}`), depth: d }));
        assert.equal(messages.length, slot.verdict === "protected" ? 0 : 1, `${carrier.type} ${slot.path.join(".")}: ${JSON.stringify(messages)}`);
      }),
      { numRuns: 200 },
    );
  });

  it("a value that is no credential is accepted in every slot, in any encoding", async () => {
    // No '=', '-' or ':' in the alphabet: no `sig=`, no PEM armour, no `AccountKey=` can appear.
    const text = fc.stringMatching(/^[A-Za-z0-9 .,\r\n[\]]{1,80}$/);
    await fc.assert(
      fc.asyncProperty(ruleSlot, encoding, text, fc.constantFrom(...NEUTRAL_NAMES), depth, async ({ carrier, slot }, enc, t, name, d) => {
        assert.deepEqual(await violations(secretsOnlyProtected, place(carrier.base(), slot, { name, value: ENCODINGS[enc](t), depth: d })), []);
      }),
      { numRuns: 200 },
    );
  });

  it("reads every URL a carrier fetches or writes: a SAS there is a credential, a managed identity the remedy", async () => {
    const SAS_URL = "https://st.blob.core.windows.net/c/p.zip?sp=r&sig=c2VjcmV0LXNpZ25hdHVyZQ";
    const urls: Array<[string, string[]]> = [
      ["azure-native:compute:VirtualMachineRunCommandByVirtualMachine", ["source", "scriptUri"]],
      ["azure-native:compute:VirtualMachineScaleSetVMRunCommand", ["outputBlobUri"]],
      ["azure-native:hybridcompute:MachineRunCommand", ["errorBlobUri"]],
      ["azure-native:guestconfiguration:GuestConfigurationHCRPAssignment", ["properties", "guestConfiguration", "contentUri"]],
    ];
    for (const [type, path] of urls) {
      const r = structuredClone(RULE.find((c) => c.type === type)!.base());
      let node: any = r.props;
      for (const key of path.slice(0, -1)) node = node[key] ??= {};
      node[path[path.length - 1]] = SAS_URL;
      const messages = await violations(secretsOnlyProtected, r);
      assert.equal(messages.length, 1, type);
      assert.match(messages[0], new RegExp(`${path.join("\\.")} \\(value not shown\\); move it to a managed identity instead of a SAS URL`));
      assert.ok(!messages[0].includes("c2VjcmV0"));
    }
  });

  it("decodes the base64url SiteConfig.cfg of the product's own assignment: a SAS in it is a credential, and the remedy is never configurationProtectedParameter", async () => {
    const r = withBothLists(resource("azure-native:guestconfiguration:GuestConfigurationAssignment", "vm-mail-unit-001-tuning-assignment", gcAssignmentArgs));
    const params = (r.props.properties as any).guestConfiguration.configurationParameter as Array<{ name: string; value: string }>;
    const content = params.find((p) => p.name.endsWith(";SiteConfigContentBase64Url"))!;
    const text = Buffer.from(content.value, "base64url").toString("utf8");
    content.value = Buffer.from(`${text}[Storage]\r\nUrl = https://st.blob.core.windows.net/c?sv=2024-11-04&sig=c2VjcmV0\r\n`, "utf8").toString("base64url");
    const messages = await violations(secretsOnlyProtected, r);
    assert.equal(messages.length, 1);
    assert.match(
      messages[0],
      /configurationParameter\[\[MailhostTcpTuning\]MailhostTcpTuning;SiteConfigContentBase64Url\] \(value not shown\); Machine Configuration has no secret management/,
    );
    assert.doesNotMatch(messages[0], /move it to configurationProtectedParameter/);
    assert.ok(!messages[0].includes("c2VjcmV0"));
  });

  it("says why a guest configuration parameter is no place for a secret, for the product's own assignment", async () => {
    const r = withBothLists(resource("azure-native:guestconfiguration:GuestConfigurationAssignment", "vm-mail-unit-001-tuning-assignment", gcAssignmentArgs));
    (r.props.properties as any).guestConfiguration.configurationProtectedParameter.push({
      name: "[MailhostTcpTuning]MailhostTcpTuning;ServicePassword",
      value: "hunter2-Hunter2",
    });
    assert.deepEqual(await violations(secretsOnlyProtected, r), [
      'GuestConfigurationAssignment "vm-mail-unit-001-tuning-assignment" carries a credential in properties.guestConfiguration.configurationProtectedParameter[[MailhostTcpTuning]MailhostTcpTuning;ServicePassword] (value not shown); ' +
        'Machine Configuration has no secret management (Microsoft Learn, "Migrating from the DSC extension to machine configuration": secrets management has not been implemented), ' +
        "so no assignment parameter, configurationProtectedParameter included, may carry a secret; keep it in Key Vault and let the machine fetch it at run time " +
        "(the Key Vault VM extension, or the configuration reading Key Vault with the machine's managed identity).",
    ]);
  });
});
