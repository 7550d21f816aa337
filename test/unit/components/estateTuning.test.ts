/** EstateTuningPolicy under mocks: what it registers, and what it refuses before anything exists. */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { runOffline, type RecordedResource } from "../../../engine/offline";
import { EstateTuningPolicy, type EstateTuningPolicyArgs, defaultPackageSasExpiry } from "../../../components/EstateTuningPolicy";
import { GuestContentStore } from "../../../components/GuestContentStore";
import { machineConfigurationPackageFor } from "../../../components/guestContent";
import {
  GUEST_CONFIGURATION_PREREQUISITES_INITIATIVE_ID,
  GUEST_CONFIGURATION_RESOURCE_CONTRIBUTOR_ROLE_ID,
  CONTRIBUTOR_ROLE_ID,
} from "../../../domain/estateTuningPolicy";
import { PACKAGE_SAS_LIFETIME_DAYS, TCP_TIMED_WAIT_DELAY } from "../../../domain/limits";
import { STACK_TAG } from "../../../domain/plan";
import { secretsOnlyProtected } from "../../../policies/rules/secretsOnlyProtected";
import { policies } from "../../../policies/all";
import { violations } from "../policies/harness";
import { minimalPlan, minimalRawConfig } from "../../support/stackConfigs";

/** The settings of the smallest valid stack (but `tuning`: Machine Configuration is the policy's mechanism). */
const {
  tcp: { tuning: _tuning, ...TCP },
  siteConfig: SITE_CONFIG,
  capacity: CAPACITY,
} = minimalRawConfig("machineConfiguration");
/** The plan a stack with the same settings gets: the package the policy must publish and name. */
const plan = minimalPlan("machineConfiguration");
const HASH = machineConfigurationPackageFor(plan.tuning).sha256Upper;

const SUBSCRIPTION = "11111111-2222-3333-4444-555555555555";
const CONTAINER_ID = `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-mailhost-unit/providers/Microsoft.Storage/storageAccounts/stmailhostunit/blobServices/default/containers/machine-configuration`;
const args = (extra: Partial<EstateTuningPolicyArgs> = {}): EstateTuningPolicyArgs => ({
  scope: { subscriptionId: SUBSCRIPTION },
  location: "westeurope",
  tag: { name: "workload", value: "mail" },
  tcp: TCP,
  siteConfig: SITE_CONFIG,
  capacity: CAPACITY,
  store: { packageContainerId: CONTAINER_ID, blobEndpoint: "https://stmailhostunit.blob.core.windows.net/" },
  ...extra,
});

async function register(extra: Partial<EstateTuningPolicyArgs> = {}): Promise<{ error?: string; resources: RecordedResource[] }> {
  try {
    const run = await runOffline(
      async () => {
        new EstateTuningPolicy("estate", args(extra));
      },
      "unit",
      {},
    );
    return { resources: run.resources.filter((r) => r.type !== "pulumi:pulumi:Stack") };
  } catch (err) {
    return { error: (err as Error).message, resources: [] };
  }
}
const types = (rs: RecordedResource[]) => rs.map((r) => r.type).sort();
/** Pulumi secrets arrive in mock inputs as `{ 4dabf18193072939515e22adb298388d: ..., value }`. */
const plain = (v: unknown): any =>
  JSON.parse(JSON.stringify(v, (_k, x) => (x !== null && typeof x === "object" && "4dabf18193072939515e22adb298388d" in x ? x.value : x)));

describe("EstateTuningPolicy registers the estate's tuning", () => {
  it("definition, assignment with its identity, the role its deployments need and the prerequisites, no remediation by default", async () => {
    const { error, resources } = await register();
    assert.equal(error, undefined);
    assert.deepEqual(types(resources), [
      "azure-native:authorization:PolicyAssignment",
      "azure-native:authorization:PolicyAssignment",
      "azure-native:authorization:PolicyDefinition",
      "azure-native:authorization:RoleAssignment",
      "azure-native:authorization:RoleAssignment",
      "azure-native:storage:Blob",
      "mailhost:azure:EstateTuningPolicy",
    ]);
    // The package of these settings, published in the store's container, named by its hash.
    const blob = resources.find((r) => r.type === "azure-native:storage:Blob")!;
    assert.deepEqual(
      [blob.inputs.resourceGroupName, blob.inputs.accountName, blob.inputs.containerName],
      ["rg-mailhost-unit", "stmailhostunit", "machine-configuration"],
    );
    assert.match(String(blob.inputs.blobName), new RegExp(`^[0-9a-f]{16}/MailhostTcpTuning-${HASH}\\.zip$`));
    const [tuning, prerequisites] = ["mailhost-tcp-tuning", "mailhost-tcp-tuning-preq"].map((n) => resources.find((r) => r.inputs.policyAssignmentName === n)!);
    assert.equal(tuning.inputs.scope, `/subscriptions/${SUBSCRIPTION}`);
    assert.deepEqual(tuning.inputs.identity, { type: "SystemAssigned" });
    assert.match(String(tuning.inputs.policyDefinitionId), /\/policyDefinitions\/mailhost-tcp-tuning$/);
    assert.equal(prerequisites.inputs.policyDefinitionId, GUEST_CONFIGURATION_PREREQUISITES_INITIATIVE_ID);
    const roles = resources.filter((r) => r.type === "azure-native:authorization:RoleAssignment");
    assert.deepEqual(
      roles.map((r) => String(r.inputs.roleDefinitionId).split("/").pop()).sort(),
      [GUEST_CONFIGURATION_RESOURCE_CONTRIBUTOR_ROLE_ID, CONTRIBUTOR_ROLE_ID].sort(),
    );
    for (const role of roles) {
      assert.equal(role.inputs.scope, `/subscriptions/${SUBSCRIPTION}`);
      assert.match(String(role.inputs.principalId), /^[0-9a-f-]{36}$/, "the assignment's system-assigned principal");
    }
    const definition = resources.find((r) => r.type === "azure-native:authorization:PolicyDefinition")!;
    const rule = plain(definition.inputs.policyRule);
    assert.deepEqual(rule.then.details.roleDefinitionIds, [
      `/providers/Microsoft.Authorization/roleDefinitions/${GUEST_CONFIGURATION_RESOURCE_CONTRIBUTOR_ROLE_ID}`,
    ]);
    assert.equal(rule.if.allOf[2].field, `tags['${STACK_TAG}']`);
  });
  it("given a GuestContentStore, publishes through it: the store's child, the blob named by the hash alone, shared with VMs tuned alike", async () => {
    const run = await runOffline(
      async () => {
        const store = new GuestContentStore("content", { resourceGroupName: "rg-mailhost-unit", accountName: "stmailhostunit" });
        new EstateTuningPolicy("estate", { ...args(), store });
        store.publishPackage(plan.tuning);
      },
      "unit",
      {},
    );
    const store = run.resources.find((r) => r.type === "mailhost:azure:GuestContentStore")!;
    const blobs = run.resources.filter((r) => r.type === "azure-native:storage:Blob");
    assert.equal(blobs.length, 1, "one blob per package content");
    assert.equal(blobs[0].parent, store.urn);
    assert.equal(blobs[0].inputs.blobName, `MailhostTcpTuning-${HASH}.zip`);
  });
  it("the package SAS is read-only, https-only, for the one blob, and the pack's secret rule accepts exactly it", async () => {
    const { resources } = await register();
    const definition = resources.find((r) => r.type === "azure-native:authorization:PolicyDefinition")!;
    const props = plain(definition.inputs);
    const uri = new URL(props.metadata.guestConfiguration.contentUri);
    assert.match(uri.pathname, new RegExp(`^/machine-configuration/[0-9a-f]{16}/MailhostTcpTuning-${HASH}\\.zip$`));
    assert.equal(props.metadata.guestConfiguration.contentHash, HASH);
    assert.deepEqual(
      [uri.searchParams.get("sr"), uri.searchParams.get("sp"), uri.searchParams.get("spr"), uri.searchParams.get("se")],
      ["b", "r", "https", defaultPackageSasExpiry()],
    );
    assert.deepEqual(await violations(secretsOnlyProtected, { type: definition.type, name: definition.name, props }), []);
    // Every resource policy of the pack accepts what the component registers.
    for (const r of resources.filter((x) => x.custom)) {
      for (const policy of policies)
        if ("validateResource" in policy)
          assert.deepEqual(await violations(policy, { type: r.type, name: r.name, props: plain(r.inputs) }), [], `${policy.name} on ${r.type}`);
    }
  });
  it("a user-assigned identity gets the role through its principal; no prerequisites when turned off", async () => {
    const { resources } = await register({
      identity: {
        type: "UserAssigned",
        id: "/subscriptions/x/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-policy",
        principalId: "99999999-8888-7777-6666-555555555555",
      },
      prerequisites: false,
    });
    const assignment = resources.find((r) => r.type === "azure-native:authorization:PolicyAssignment")!;
    assert.deepEqual(assignment.inputs.identity, {
      type: "UserAssigned",
      userAssignedIdentities: ["/subscriptions/x/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-policy"],
    });
    const roles = resources.filter((r) => r.type === "azure-native:authorization:RoleAssignment");
    assert.deepEqual(
      roles.map((r) => r.inputs.principalId),
      ["99999999-8888-7777-6666-555555555555"],
    );
    assert.equal(resources.filter((r) => r.type === "azure-native:authorization:PolicyAssignment").length, 1);
  });
  it("a remediation task when asked, named by the package hash, at a management group", async () => {
    const { error, resources } = await register({ scope: { managementGroupId: "mg-mail" }, remediate: true });
    assert.equal(error, undefined);
    assert.ok(resources.some((r) => r.type === "azure-native:authorization:PolicyDefinitionAtManagementGroup" && r.inputs.managementGroupId === "mg-mail"));
    const remediation = resources.find((r) => r.type === "azure-native:policyinsights:RemediationAtManagementGroup")!;
    assert.equal(remediation.inputs.remediationName, `mailhost-tcp-tuning-${HASH.slice(0, 12).toLowerCase()}`);
    assert.match(
      String(remediation.inputs.policyAssignmentId),
      /^\/providers\/Microsoft\.Management\/managementGroups\/mg-mail\/providers\/Microsoft\.Authorization\/policyAssignments\/mailhost-tcp-tuning$/,
    );
    for (const role of resources.filter((r) => r.type === "azure-native:authorization:RoleAssignment")) {
      assert.match(String(role.inputs.roleDefinitionId), /^\/providers\/Microsoft\.Authorization\/roleDefinitions\//);
    }
  });
});

describe("EstateTuningPolicy refuses bad inputs before anything exists", () => {
  const refused = async (extra: Partial<EstateTuningPolicyArgs>, message: RegExp) => {
    const { error, resources } = await register(extra);
    assert.match(error ?? "", message);
    assert.match(error ?? "", /^mailhost:azure:EstateTuningPolicy "estate" has invalid inputs: /);
    assert.deepEqual(resources, []);
  };
  it("rejects TcpTimedWaitDelay 301 with the stack config's message, before anything exists", async () => {
    const { error, resources } = await register({ tcp: { tcpTimedWaitDelay: TCP_TIMED_WAIT_DELAY.max + 1 } });
    assert.match(error ?? "", /^mailhost:azure:EstateTuningPolicy "estate" has invalid settings/);
    assert.match(
      error ?? "",
      new RegExp(
        `mailhost:tcp\\.tcpTimedWaitDelay = ${TCP_TIMED_WAIT_DELAY.max + 1} is outside ${TCP_TIMED_WAIT_DELAY.min}–${TCP_TIMED_WAIT_DELAY.max} \\(seconds\\)`,
      ),
    );
    assert.deepEqual(resources, []);
  });
  it("rejects the stack tag as the mail host tag (the policy would select nothing)", () =>
    refused({ tag: { name: STACK_TAG, value: "prod" } }, /tag\.name = "mailhost-stack" is the stack tag/));
  it("rejects a scope with both or neither of subscription and management group, and a malformed subscription", async () => {
    await refused({ scope: { subscriptionId: SUBSCRIPTION, managementGroupId: "mg" } as never }, /scope must name exactly one/);
    await refused({ scope: { subscriptionId: "not-a-guid" } }, /scope\.subscriptionId = "not-a-guid" is not a subscription ID/);
  });
  it("rejects a package SAS that lives longer than the limit", () => {
    const far = new Date(Date.now() + (PACKAGE_SAS_LIFETIME_DAYS.max + 30) * 86_400_000).toISOString();
    return refused({ packageSasExpiry: far }, /packageSasExpiry = .* days ahead; allowed 1–366 \(days\)/);
  });
  it("rejects a store reference that is not a container's ARM id, and a user-assigned identity without its ids", async () => {
    await refused(
      { store: { packageContainerId: "machine-configuration", blobEndpoint: "https://stmailhostunit.blob.core.windows.net/" } },
      /store\.packageContainerId = "machine-configuration" is not a blob container's ARM id/,
    );
    await refused(
      { identity: { type: "UserAssigned", id: "/subscriptions/x/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-policy" } },
      /identity\.id and identity\.principalId are required with identity\.type = "UserAssigned"/,
    );
  });
});
