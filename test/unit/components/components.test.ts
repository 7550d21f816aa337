import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { runOffline } from "../../../engine/offline";
import { WindowsMailHost } from "../../../components/WindowsMailHost";
import { DscTuning } from "../../../components/DscTuning";
import { RunCommandTuning } from "../../../components/RunCommandTuning";
import { SHORTEST_INBOUND_SOURCE_PREFIX } from "../../../domain/limits";
import { MailSite } from "../../../components/MailSite";
import { MachineConfigurationTuning } from "../../../components/MachineConfigurationTuning";
import { type TuningPlan, siteNames } from "../../../domain/plan";
import { minimalPlan } from "../../support/stackConfigs";

const plan = minimalPlan("dsc");

/** Runs `build` under mocks; returns the error message (if any) and the types registered besides the stack. */
async function register(build: () => void): Promise<{ error?: string; types: string[] }> {
  try {
    const run = await runOffline(
      async () => {
        build();
      },
      "unit",
      {},
    );
    return { types: run.resources.filter((r) => r.type !== "pulumi:pulumi:Stack").map((r) => r.type) };
  } catch (err) {
    return { error: (err as Error).message, types: [] };
  }
}

const hostArgs = (tuning: TuningPlan, extra: Partial<ConstructorParameters<typeof WindowsMailHost>[1]> = {}) => ({
  resourceGroupName: "rg-unit",
  subnetId: "/subscriptions/x/resourceGroups/rg-unit/providers/Microsoft.Network/virtualNetworks/v/subnets/s",
  host: plan.hosts[0],
  vmSize: "Standard_D2s_v5",
  adminUsername: "mailops",
  adminPassword: pulumi.secret("Unit-Test-Passw0rd!"),
  tuning,
  dscArchive: { url: "https://example.blob.core.windows.net/dsc/a.zip", sasToken: pulumi.secret("?sig=x") },
  ...extra,
});

describe("components validate every input before any child exists", () => {
  it("a WindowsMailHost registers NIC, VM and one DSC extension", async () => {
    const { error, types } = await register(() => {
      new WindowsMailHost("h", hostArgs(plan.tuning));
    });
    assert.equal(error, undefined);
    assert.deepEqual(types.sort(), [
      "azure-native:compute:VirtualMachine",
      "azure-native:compute:VirtualMachineExtension",
      "azure-native:network:NetworkInterface",
      "mailhost:azure:DscTuning",
      "mailhost:azure:WindowsMailHost",
    ]);
  });
  it("rejects TcpTimedWaitDelay 301 on a WindowsMailHost, naming it, and registers nothing", async () => {
    const { error, types } = await register(() => {
      new WindowsMailHost("h", hostArgs({ ...plan.tuning, tcpTimedWaitDelay: 301 }));
    });
    assert.equal(error, 'mailhost:azure:WindowsMailHost "h" has invalid inputs: TcpTimedWaitDelay = 301 is outside 30–300 (seconds).');
    assert.deepEqual(types, []);
  });
  it("rejects MaxUserPort 65535 and a range that no longer ends there, all at once", async () => {
    const { error } = await register(() => {
      new DscTuning("t", {
        resourceGroupName: "rg",
        vmName: "vm",
        tuning: { ...plan.tuning, maxUserPort: 65535 },
        configurationUrl: "u",
        configurationUrlSasToken: "s",
      });
    });
    assert.equal(
      error,
      'mailhost:azure:DscTuning "t" has invalid inputs: MaxUserPort = 65535 is outside 5000–65534 (port number); the dynamic port range 10000–65534 (start 10000, 55535 ports) does not end at MaxUserPort = 65535; set the number of ports to 55536.',
    );
  });
  it("rejects a dynamic range of 254 ports on a RunCommandTuning", async () => {
    const { error, types } = await register(() => {
      new RunCommandTuning("t", {
        resourceGroupName: "rg",
        vmName: "vm",
        tuning: { ...plan.tuning, dynamicPortRangeStart: 65280, dynamicPortRangeCount: 254 },
      });
    });
    assert.equal(error, 'mailhost:azure:RunCommandTuning "t" has invalid inputs: DynamicPortRangeNumberOfPorts = 254 is outside 255–64511 (ports).');
    assert.deepEqual(types, []);
  });
  it("rejects a MailboxCacheTTL under the floor and SiteConfig text that disagrees with it", async () => {
    const { error } = await register(() => {
      new RunCommandTuning("t", { resourceGroupName: "rg", vmName: "vm", tuning: { ...plan.tuning, mailboxCacheTtl: 120 } });
    });
    assert.equal(
      error,
      'mailhost:azure:RunCommandTuning "t" has invalid inputs: MailboxCacheTTL = 120 is below its floor of 300 seconds; SiteConfigContent carries MailboxCacheTTL = 600, not the planned 120.',
    );
  });
  it("rejects DSC tuning on Windows Server 2025", async () => {
    const { error, types } = await register(() => {
      new WindowsMailHost("h", hostArgs(plan.tuning, { windowsVersion: "2025" }));
    });
    assert.match(error ?? "", /windowsVersion = "2025" is not supported by the DSC extension; use run-command tuning/);
    assert.deepEqual(types, []);
  });
  it("rejects DSC tuning without an archive", async () => {
    const { error } = await register(() => {
      new WindowsMailHost("h", hostArgs(plan.tuning, { dscArchive: undefined }));
    });
    assert.match(error ?? "", /dscArchive is required with DSC tuning/);
  });
  it("rejects a MailSite that opens IMAP to the whole Internet or a prefix shorter than the NSG policy allows", async () => {
    for (const cidr of ["0.0.0.0/0", `0.0.0.0/${SHORTEST_INBOUND_SOURCE_PREFIX - 1}`]) {
      const { error, types } = await register(() => {
        new MailSite("s", { names: siteNames("unit"), addressPrefix: "10.0.0.0/24", allowedImapCidrs: [cidr] });
      });
      assert.ok((error ?? "").includes(`allowedImapCidrs = ${JSON.stringify(cidr)} opens the port`), error);
      assert.deepEqual(types, []);
    }
  });
  it("a MailSite without DSC creates no storage account", async () => {
    const { types } = await register(() => {
      new MailSite("s", { names: siteNames("unit"), addressPrefix: "10.0.0.0/24" });
    });
    assert.ok(!types.includes("azure-native:storage:StorageAccount"));
    assert.ok(types.includes("azure-native:network:NetworkSecurityGroup"));
  });
});

describe("Machine Configuration tuning components", () => {
  const mcTuning = { ...plan.tuning, mechanism: "machineConfiguration" as const };
  const content = {
    contentUri: `https://stmailhostunit.blob.core.windows.net/machine-configuration/MailhostTcpTuning-${"0123456789ABCDEF".repeat(4)}.zip`,
    contentHash: "0123456789ABCDEF".repeat(4),
    identityId: "/subscriptions/x/resourceGroups/rg-unit/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-unit",
    readyAfter: [],
  };
  it("a WindowsMailHost with Machine Configuration registers NIC, VM, the guest configuration extension and one assignment", async () => {
    const { error, types } = await register(() => {
      new WindowsMailHost("h", hostArgs(mcTuning, { machineConfiguration: content, windowsVersion: "2025" }));
    });
    assert.equal(error, undefined);
    assert.deepEqual(types.sort(), [
      "azure-native:compute:VirtualMachine",
      "azure-native:compute:VirtualMachineExtension",
      "azure-native:guestconfiguration:GuestConfigurationAssignment",
      "azure-native:network:NetworkInterface",
      "mailhost:azure:MachineConfigurationTuning",
      "mailhost:azure:WindowsMailHost",
    ]);
  });
  it("rejects Machine Configuration tuning without a published package, and registers nothing", async () => {
    const { error, types } = await register(() => {
      new WindowsMailHost("h", hostArgs(mcTuning));
    });
    assert.match(error ?? "", /machineConfiguration \(the published package\) is required with Machine Configuration tuning/);
    assert.deepEqual(types, []);
  });
  it("rejects a lower-case or short contentHash and an http or SAS contentUri, all at once", async () => {
    const { error, types } = await register(() => {
      new MachineConfigurationTuning("t", {
        resourceGroupName: "rg",
        vmName: "vm",
        tuning: mcTuning,
        content: { ...content, contentHash: "abc", contentUri: "http://st/c/p-abc.zip?sig=x" },
      });
    });
    assert.equal(
      error,
      'mailhost:azure:MachineConfigurationTuning "t" has invalid inputs: content.contentHash = "abc" must be the package\'s SHA-256 as 64 upper-case hex characters; content.contentUri = "http://st/c/p-abc.zip?sig=x" must be an https URL without a query (the hosts read it with a managed identity, not a SAS).',
    );
    assert.deepEqual(types, []);
  });
  it("rejects a contentUri that does not carry the contentHash (a new package must be a new address), and registers nothing", async () => {
    const fixed = "https://stmailhostunit.blob.core.windows.net/machine-configuration/MailhostTcpTuning.zip";
    const { error, types } = await register(() => {
      new MachineConfigurationTuning("t", { resourceGroupName: "rg", vmName: "vm", tuning: mcTuning, content: { ...content, contentUri: fixed } });
    });
    assert.equal(
      error,
      `mailhost:azure:MachineConfigurationTuning "t" has invalid inputs: content.contentUri = "${fixed}" must carry the package's contentHash (e.g. MailhostTcpTuning-${content.contentHash}.zip), so that a new package is never published over one that hosts still read.`,
    );
    assert.deepEqual(types, []);
  });
  it("rejects a Machine Configuration package whose blob name does not carry its hash, and registers nothing", async () => {
    const pkg = {
      fileName: "MailhostTcpTuning.zip",
      blobName: "MailhostTcpTuning.zip",
      bytes: new Uint8Array(0),
      sha256Upper: content.contentHash,
      mof: "",
      metaconfig: "",
    };
    const { error, types } = await register(() => {
      new MailSite("s", { names: siteNames("unit"), addressPrefix: "10.0.0.0/24", machineConfigurationPackage: pkg });
    });
    assert.match(error ?? "", /machineConfigurationPackage\.blobName = "MailhostTcpTuning\.zip" must carry the package's SHA-256/);
    assert.deepEqual(types, []);
  });
  it("rejects MaxUserPort above its range before the assignment exists", async () => {
    const { error, types } = await register(() => {
      new MachineConfigurationTuning("t", { resourceGroupName: "rg", vmName: "vm", tuning: { ...mcTuning, maxUserPort: 65535 }, content });
    });
    assert.match(error ?? "", /MaxUserPort = 65535 is outside 5000–65534/);
    assert.deepEqual(types, []);
  });
});
