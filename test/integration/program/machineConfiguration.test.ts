/**
 * The prod stack (Machine Configuration tuning) under mocks: per host one guest configuration
 * extension and one assignment with the stack's values; the uploaded blob is the package whose
 * SHA-256 is the assignment's contentHash; extensions of a VM are provisioned one after another.
 */
import { before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { strFromU8, unzipSync } from "fflate";
import { requireStackConfig } from "../../../domain/config";
import { fromBase64Url } from "../../../domain/guestEncoding";
import { MAILHOST_TCP_TUNING, TUNED_PROPERTIES, configurationParameterName } from "../../../domain/machineConfiguration";
import { planFleet } from "../../../domain/plan";
import { loadSiteConfigTemplate } from "../../../content/siteConfigTemplate";
import { type OfflineRun, type RecordedResource } from "../../../engine/offline";
import { STORAGE_BLOB_DATA_READER_ROLE_ID } from "../../../components/publishedContent";
import { runStack, stackFileConfig, STACKS } from "../../support/stacks";
import { readMof } from "../../support/mofReader";

const GC_ASSIGNMENT = "azure-native:guestconfiguration:GuestConfigurationAssignment";
const EXTENSION = "azure-native:compute:VirtualMachineExtension";
const RUN_COMMAND = "azure-native:compute:VirtualMachineRunCommandByVirtualMachine";
const byType = (run: OfflineRun, type: string): RecordedResource[] => run.resources.filter((r) => r.type === type);

function planOf(stack: string) {
  const raw = Object.fromEntries(
    Object.entries(stackFileConfig(stack))
      .filter(([k]) => k.startsWith("mailhost:"))
      .map(([k, v]) => [k.slice(9), v]),
  );
  return planFleet(stack, requireStackConfig(raw), loadSiteConfigTemplate());
}

describe("prod tunes its hosts through Machine Configuration", () => {
  let run: OfflineRun;
  const plan = planOf("prod");
  before(async () => {
    run = await runStack("prod");
  });

  it("is the mechanism prod's stack file chooses", () => assert.equal(plan.tuning.mechanism, "machineConfiguration"));

  it("gives every host one guest configuration extension with automatic upgrade", () => {
    const vms = byType(run, "azure-native:compute:VirtualMachine");
    // The guest configuration extension; the Azure Monitor Agent is another extension of each VM.
    const extensions = byType(run, EXTENSION).filter((e) => e.inputs.publisher === "Microsoft.GuestConfiguration");
    assert.equal(extensions.length, vms.length);
    assert.deepEqual(extensions.map((e) => e.inputs.vmName).sort(), vms.map((v) => v.inputs.vmName).sort());
    for (const e of extensions) {
      assert.equal(e.inputs.publisher, "Microsoft.GuestConfiguration");
      assert.equal(e.inputs.type, "ConfigurationforWindows");
      assert.equal(e.inputs.vmExtensionName, "AzurePolicyforWindows");
      assert.equal(e.inputs.typeHandlerVersion, "1.1");
      assert.equal(e.inputs.autoUpgradeMinorVersion, true);
      assert.equal(e.inputs.enableAutomaticUpgrade, true);
    }
    assert.equal(byType(run, RUN_COMMAND).length, 0);
  });

  it("gives every host one assignment MailhostTcpTuning (ApplyAndAutoCorrect) whose parameters equal the stack's values", () => {
    const vms = byType(run, "azure-native:compute:VirtualMachine");
    const assignments = byType(run, GC_ASSIGNMENT);
    assert.deepEqual(assignments.map((a) => a.inputs.vmName).sort(), vms.map((v) => v.inputs.vmName).sort());
    const [identity] = byType(run, "azure-native:managedidentity:UserAssignedIdentity");
    for (const a of assignments) {
      const inputs = a.inputs as any;
      assert.equal(inputs.name, MAILHOST_TCP_TUNING.configurationName);
      assert.equal(inputs.guestConfigurationAssignmentName, MAILHOST_TCP_TUNING.configurationName);
      const gc = inputs.properties.guestConfiguration;
      assert.equal(gc.name, MAILHOST_TCP_TUNING.configurationName);
      assert.equal(gc.assignmentType, "ApplyAndAutoCorrect");
      assert.equal(gc.version, MAILHOST_TCP_TUNING.packageVersion);
      assert.match(gc.contentHash, /^[0-9A-F]{64}$/);
      // The package's address carries its hash: contentUri and contentHash change together.
      assert.equal(
        gc.contentUri,
        `https://${plan.names.storageAccount}.blob.core.windows.net/${plan.names.machineConfigurationContainer}/${MAILHOST_TCP_TUNING.configurationName}-${gc.contentHash}.zip`,
      );
      assert.ok(!String(gc.contentUri).includes("?"), "no SAS on the hosts' read path");
      assert.match(gc.contentManagedIdentity, new RegExp(`/providers/Microsoft\\.ManagedIdentity/userAssignedIdentities/${identity.inputs.resourceName}$`));
      // The values, read back from the names the agent uses, are the stack's.
      const params = new Map((gc.configurationParameter as Array<{ name: string; value: string }>).map((p) => [p.name, p.value]));
      assert.equal(params.size, TUNED_PROPERTIES.length);
      for (const p of gc.configurationParameter) assert.equal(typeof p.value, "string");
      assert.equal(params.get(configurationParameterName("MaxUserPort")), String(plan.config.tcp.maxUserPort));
      assert.equal(params.get(configurationParameterName("TcpTimedWaitDelay")), String(plan.config.tcp.tcpTimedWaitDelay));
      assert.equal(params.get(configurationParameterName("DynamicPortRangeStartPort")), String(plan.config.tcp.dynamicPortRange.start));
      assert.equal(params.get(configurationParameterName("DynamicPortRangeNumberOfPorts")), String(plan.config.tcp.dynamicPortRange.count));
      assert.equal(fromBase64Url(params.get(configurationParameterName("SiteConfigPathBase64Url"))!), plan.config.siteConfig.path);
      const content = fromBase64Url(params.get(configurationParameterName("SiteConfigContentBase64Url"))!);
      assert.equal(params.get(configurationParameterName("SiteConfigSha256")), createHash("sha256").update(content, "utf8").digest("hex"));
      assert.match(content, new RegExp(`MailboxCacheTTL = ${plan.config.siteConfig.mailboxCacheTtl}\\r\\n`));
    }
  });

  it("uploads a zip whose SHA-256 is the contentHash, holding exactly the MOF, the metaconfig and Modules/, with the plan's values in the MOF", async () => {
    const blobs = byType(run, "azure-native:storage:Blob").filter((b) => b.inputs.containerName === plan.names.machineConfigurationContainer);
    assert.equal(blobs.length, 1);
    const source = blobs[0].inputs.source as pulumi.asset.FileAsset;
    const bytes = fs.readFileSync(await source.path);
    const hash = createHash("sha256").update(bytes).digest("hex").toUpperCase();
    for (const a of byType(run, GC_ASSIGNMENT)) assert.equal((a.inputs as any).properties.guestConfiguration.contentHash, hash);
    const entries = unzipSync(bytes);
    const root = [...new Set(Object.keys(entries).map((n) => (n.includes("/") ? `${n.split("/")[0]}/` : n)))].sort();
    assert.deepEqual(root, ["MailhostTcpTuning.metaconfig.json", "MailhostTcpTuning.mof", "Modules/"]);
    assert.ok(Object.keys(entries).some((n) => n === `Modules/${MAILHOST_TCP_TUNING.moduleName}/${MAILHOST_TCP_TUNING.moduleName}.psd1`));
    const [instance, document] = readMof(strFromU8(entries["MailhostTcpTuning.mof"]));
    const props = Object.fromEntries(instance.properties);
    assert.equal(instance.className, "MailhostTcpTuning");
    assert.equal(props.ResourceID, "[MailhostTcpTuning]MailhostTcpTuning");
    assert.equal(props.ModuleName, "MailhostTcpTuning");
    assert.equal(props.MaxUserPort, String(plan.tuning.maxUserPort));
    assert.equal(props.TcpTimedWaitDelay, String(plan.tuning.tcpTimedWaitDelay));
    assert.equal(fromBase64Url(String(props.SiteConfigContentBase64Url)), plan.tuning.siteConfigContent);
    assert.equal(Object.fromEntries(document.properties).Name, "MailhostTcpTuning");
    assert.equal(blobs[0].inputs.contentType, "application/zip");
  });

  it("keeps the package container private and lets only the hosts' identity read it, scoped to that container", () => {
    const container = byType(run, "azure-native:storage:BlobContainer").find((c) => c.inputs.containerName === plan.names.machineConfigurationContainer);
    assert.equal(container?.inputs.publicAccess, "None");
    const roles = byType(run, "azure-native:authorization:RoleAssignment");
    assert.equal(roles.length, 1);
    const [identity] = byType(run, "azure-native:managedidentity:UserAssignedIdentity");
    assert.match(
      String(roles[0].inputs.roleDefinitionId),
      new RegExp(`/providers/Microsoft\\.Authorization/roleDefinitions/${STORAGE_BLOB_DATA_READER_ROLE_ID}$`),
    );
    assert.match(
      String(roles[0].inputs.scope),
      new RegExp(`/${plan.names.storageAccount}/blobServices/default/containers/${plan.names.machineConfigurationContainer}$`),
    );
    assert.equal(roles[0].inputs.principalType, "ServicePrincipal");
    assert.ok(typeof roles[0].inputs.principalId === "string" && roles[0].inputs.principalId !== "");
    assert.ok(identity);
    // Every assignment waits for the blob and the role assignment.
    for (const a of byType(run, GC_ASSIGNMENT)) {
      assert.ok(a.dependencies.includes(roles[0].urn), "after the role assignment");
      assert.ok(
        a.dependencies.some((d) => d.endsWith("::mailhost-machine-configuration-package")),
        "after the upload",
      );
    }
  });
});

/** VM-agent operations of a VM (extensions and managed run commands) as recorded. */
function agentOperationsByVm(run: OfflineRun): Map<string, RecordedResource[]> {
  const byVm = new Map<string, RecordedResource[]>();
  for (const r of run.resources.filter((x) => x.type === EXTENSION || x.type === RUN_COMMAND)) {
    const vm = String(r.inputs.vmName);
    byVm.set(vm, [...(byVm.get(vm) ?? []), r]);
  }
  return byVm;
}

for (const stack of STACKS) {
  describe(`stack ${stack}: extensions of one VM in an explicit order`, () => {
    let run: OfflineRun;
    before(async () => {
      run = await runStack(stack);
    });

    it("chains every VM's extensions: each depends on exactly one other of them, and one comes first", () => {
      const vms = byType(run, "azure-native:compute:VirtualMachine");
      const byVm = agentOperationsByVm(run);
      assert.equal(byVm.size, vms.length);
      for (const [vm, operations] of byVm) {
        const urns = new Set(operations.map((o) => o.urn));
        const firsts = operations.filter((o) => !o.dependencies.some((d) => urns.has(d)));
        assert.equal(firsts.length, 1, `${vm}: one extension first`);
        // Walk the chain from the first: it must visit all of them.
        let current = firsts[0];
        const seen = [current];
        for (;;) {
          const next = operations.filter((o) => o.dependencies.includes(current.urn));
          assert.ok(next.length <= 1, `${vm}: no two extensions wait for the same one`);
          if (next.length === 0) break;
          current = next[0];
          seen.push(current);
        }
        assert.equal(seen.length, operations.length, `${vm}: every extension is in the chain`);
      }
    });

    it("applies an assignment only after its VM's guest configuration extension", () => {
      const extensions = byType(run, EXTENSION).filter((e) => e.inputs.publisher === "Microsoft.GuestConfiguration");
      for (const a of byType(run, GC_ASSIGNMENT)) {
        const own = extensions.filter((e) => e.inputs.vmName === a.inputs.vmName);
        assert.equal(own.length, 1);
        assert.ok(a.dependencies.includes(own[0].urn));
      }
    });
  });
}
