/** The example projects in examples/ run under the mocks and build what docs/LIBRARY.md says. */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { type RecordedResource } from "../../../engine/offline";
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { policies } from "../../../policies/all";
import { violations } from "../../unit/policies/harness";
import { EXAMPLES_DIR, EXAMPLE_CONFIG, EXISTING_WORKSPACE_ID, runExample } from "../../support/examples";

const of = (resources: readonly RecordedResource[], type: string) => resources.filter((r) => r.type === type);
const gc = (r: RecordedResource) => (r.inputs as any).properties.guestConfiguration;

/** The resource rules mandatory in every stack: ranges, package integrity, no public IP, no remote management from the Internet, secrets only in protected settings. */
const GUARDRAILS = new Set([
  "mailhost-tcp-timed-wait-delay-range",
  "mailhost-max-user-port-range",
  "mailhost-dynamic-port-range-valid",
  "mailhost-auto-reuse-port-range-valid",
  "mailhost-script-tuning-range",
  "mailhost-guest-configuration-content-hash",
  "mailhost-guest-configuration-content-uri-https",
  "mailhost-nic-no-public-ip",
  "mailhost-nsg-no-remote-management-from-internet",
  "mailhost-secrets-only-in-protected-settings",
]);
const guardrails = policies.filter((p): p is ResourceValidationPolicy => GUARDRAILS.has(p.name) && "validateResource" in p);

/** Every mandatory guardrail on every resource. */
async function guardrailViolations(resources: readonly RecordedResource[]): Promise<string[]> {
  assert.equal(guardrails.length, GUARDRAILS.size);
  const found: string[] = [];
  for (const r of resources)
    for (const rule of guardrails) found.push(...(await violations(rule, { type: r.type, name: r.name, props: JSON.parse(JSON.stringify(r.inputs)) })));
  return found;
}

describe("examples", () => {
  it("each example is its own Pulumi project that depends on the package and imports only its entry points", () => {
    for (const name of Object.keys(EXAMPLE_CONFIG)) {
      const dir = path.join(EXAMPLES_DIR, name);
      assert.ok(fs.existsSync(path.join(dir, "Pulumi.yaml")), `${name}: Pulumi.yaml`);
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
      assert.equal(pkg.dependencies["mailhost-iac"], "file:../..");
      const imports = [...fs.readFileSync(path.join(dir, "index.ts"), "utf8").matchAll(/from "([^"]+)"/g)].map((m) => m[1]);
      for (const spec of imports) assert.ok(["@pulumi/pulumi", "mailhost-iac", "mailhost-iac/limits"].includes(spec), `${name} imports ${spec}`);
    }
  });

  it("new-fleet: a whole fleet with its network, Machine Configuration tuning and monitoring, passing the guardrails", async () => {
    const run = await runExample("new-fleet");
    assert.equal(of(run.resources, "mailhost:azure:MailhostFleet").length, 1);
    assert.equal(of(run.resources, "azure-native:resources:ResourceGroup").length, 1);
    assert.equal(of(run.resources, "azure-native:network:Subnet").length, 1);
    assert.equal(of(run.resources, "azure-native:compute:VirtualMachine").length, 2);
    const assignments = of(run.resources, "azure-native:guestconfiguration:GuestConfigurationAssignment");
    assert.equal(assignments.length, 2);
    for (const a of assignments) assert.match(gc(a).contentManagedIdentity, /userAssignedIdentities\//);
    // One log alert rule per alert the fleet's plan holds (its exported list), and the NAT gateway's metric alerts.
    const monitoring = run.outputs?.monitoring as { alertRules: unknown[]; metricAlerts: unknown[] };
    assert.ok(monitoring.alertRules.length > 0 && monitoring.metricAlerts.length > 0);
    assert.equal(of(run.resources, "azure-native:monitor:ScheduledQueryRule").length, monitoring.alertRules.length);
    assert.equal(of(run.resources, "azure-native:monitor:MetricAlert").length, monitoring.metricAlerts.length);
    assert.ok(
      of(run.resources, "azure-native:monitor:ScheduledQueryRule").some((r) => String((r.inputs as any).ruleName).endsWith("-port-usage-high")),
      "the port-usage alert",
    );
    assert.deepEqual(await guardrailViolations(run.resources), []);
    const hosts = run.outputs?.hosts as Array<{ name: string; tuning: { tcpTimedWaitDelay: number } }>;
    assert.deepEqual(
      hosts.map((h) => h.name),
      ["vm-mail-dev-001", "vm-mail-dev-002"],
    );
  });

  it("existing-vms: tunes and monitors VMs it does not create, through one shared store, and passes the guardrails", async () => {
    const run = await runExample("existing-vms");
    const vmIds = EXAMPLE_CONFIG["existing-vms"]["mailhost:vmIds"] as string[];
    // Nothing of the VMs' own, no network, no workspace.
    for (const type of [
      "azure-native:compute:VirtualMachine",
      "azure-native:network:NetworkInterface",
      "azure-native:network:VirtualNetwork",
      "azure-native:network:Subnet",
      "azure-native:resources:ResourceGroup",
      "azure-native:operationalinsights:Workspace",
      "azure-native:managedidentity:UserAssignedIdentity",
    ]) {
      assert.equal(of(run.resources, type).length, 0, type);
    }
    assert.equal(of(run.resources, "azure-native:storage:StorageAccount").length, 1, "one shared store");
    // Two VMs tuned alike share one package blob, named by its hash.
    const blobs = of(run.resources, "azure-native:storage:Blob");
    assert.equal(blobs.length, 1);
    const assignments = of(run.resources, "azure-native:guestconfiguration:GuestConfigurationAssignment");
    assert.deepEqual(assignments.map((a) => a.inputs.vmName).sort(), ["mailfe01", "mailfe02"]);
    for (const a of assignments) {
      assert.equal(gc(a).contentManagedIdentity, "system", "read with the VM's system-assigned identity");
      assert.ok(!String(gc(a).contentUri).includes("?"), "no SAS in the content URI");
      assert.ok(String(gc(a).contentUri).endsWith(String(blobs[0].inputs.blobName)));
      assert.ok(String(blobs[0].inputs.blobName).includes(gc(a).contentHash));
    }
    // Each VM's own principal reads the package container, and nothing else.
    const roles = of(run.resources, "azure-native:authorization:RoleAssignment");
    assert.equal(roles.length, 2);
    assert.equal(new Set(roles.map((r) => r.inputs.principalId)).size, 2);
    for (const r of roles) assert.match(String(r.inputs.scope), /\/blobServices\/default\/containers\/mailhost-machine-configuration$/);
    const runCommands = of(run.resources, "azure-native:compute:VirtualMachineRunCommandByVirtualMachine");
    assert.deepEqual(
      runCommands.map((r) => [r.inputs.resourceGroupName, r.inputs.vmName]),
      [["rg-mail-other", "mailfe03"]],
    );
    // Monitoring: every VM gets the agent and the association, into the existing workspace.
    assert.deepEqual(
      of(run.resources, "azure-native:monitor:DataCollectionRuleAssociation").map((r) => r.inputs.resourceUri),
      vmIds,
    );
    const dcr = of(run.resources, "azure-native:monitor:DataCollectionRule")[0];
    assert.equal((dcr.inputs as any).destinations.logAnalytics[0].workspaceResourceId, EXISTING_WORKSPACE_ID);
    for (const rule of of(run.resources, "azure-native:monitor:ScheduledQueryRule")) {
      const query = (rule.inputs as any).criteria.allOf[0].query as string;
      for (const id of vmIds) assert.ok(query.includes(JSON.stringify(id).slice(1, -1)) || query.includes(id), `${rule.name} selects ${id}`);
    }
    assert.deepEqual(await guardrailViolations(run.resources), []);
  });
});
