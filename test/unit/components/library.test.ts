/**
 * The library components: settings are validated with the stack config's rules and messages before
 * anything exists; VMs and networks that exist already are used, not created.
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { parseStackConfig } from "../../../domain/config";
import { type OfflineRun, type RecordedResource, runOffline } from "../../../engine/offline";
import { secretsOnlyProtected } from "../../../policies/rules/secretsOnlyProtected";
import {
  ExistingVmTuning,
  GuestContentStore,
  type GuestContentStoreReference,
  MailhostFleet,
  MailhostFleetInNetwork,
  PortExhaustionMonitoring,
} from "../../../components";
import { buildDscArchive } from "../../../components/guestScripts";
import { violations } from "../policies/harness";
import { EXISTING_WORKSPACE_ID, existingVmId } from "../../support/examples";

const SUBNET_ID =
  "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-network/providers/Microsoft.Network/virtualNetworks/vnet-hub/subnets/snet-mail";
const RESOURCE_GROUP_ID = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-mail-app";
const FLEET = { hostCount: 2, vmSize: "Standard_D2s_v5", adminUsername: "mailops", allowedImapCidrs: ["10.20.0.0/16"] };
const TCP = { tuning: "machineConfiguration" as const, tcpTimedWaitDelay: 60 };
const SITE_CONFIG = { mailboxCacheTtl: 900 };
const CAPACITY = { activeSessionsPerHost: 15000, backendEndpoints: 2 };

const of = (run: OfflineRun, type: string): RecordedResource[] => run.resources.filter((r) => r.type === type);
const run = (program: () => void): Promise<OfflineRun> =>
  runOffline(
    async () => {
      program();
      return {};
    },
    "dev",
    {},
  );

/** The message config validation gives for a stack file with these settings. */
function configMessage(raw: Record<string, unknown>): string {
  const parsed = parseStackConfig({ fleet: FLEET, tcp: TCP, siteConfig: SITE_CONFIG, capacity: CAPACITY, ...raw });
  assert.equal(parsed.ok, false);
  return (parsed as { readonly issues: readonly { message: string }[] }).issues[0].message;
}

/** Runs a program expected to throw; returns the message and what had been registered. */
async function rejected(program: () => void): Promise<{ message: string; registered: string[] }> {
  const registered: string[] = [];
  await assert.rejects(
    runOffline(
      async () => {
        program();
        return {};
      },
      "dev",
      {},
      [],
      { onResource: (r) => registered.push(r.type) },
    ),
    (err: Error) => {
      registered.unshift(err.message);
      return true;
    },
  );
  const [message, ...types] = registered;
  return { message, registered: types.filter((t) => t !== "pulumi:pulumi:Stack") };
}

describe("library components validate settings like the stack config, before anything exists", () => {
  const badTcp = { tuning: "runCommand" as const, tcpTimedWaitDelay: 301 };
  const expected = configMessage({ tcp: badTcp });

  it("ExistingVmTuning rejects tcpTimedWaitDelay 301 with the config message", async () => {
    const { message, registered } = await rejected(
      () => new ExistingVmTuning("t", { vmId: existingVmId("mailfe01"), tcp: badTcp, siteConfig: SITE_CONFIG, capacity: CAPACITY }),
    );
    assert.ok(message.includes(expected), message);
    assert.match(message, /mailhost:azure:ExistingVmTuning "t"/);
    assert.deepEqual(registered, []);
  });

  it("MailhostFleet and MailhostFleetInNetwork reject it the same way", async () => {
    for (const program of [
      () =>
        new MailhostFleet("f", {
          environment: "dev",
          fleet: FLEET,
          tcp: badTcp,
          siteConfig: SITE_CONFIG,
          capacity: CAPACITY,
          adminPassword: "Test-Only-Passw0rd!",
        }),
      () =>
        new MailhostFleetInNetwork("f", {
          environment: "dev",
          resourceGroupId: RESOURCE_GROUP_ID,
          subnetId: SUBNET_ID,
          fleet: FLEET,
          tcp: badTcp,
          siteConfig: SITE_CONFIG,
          capacity: CAPACITY,
          adminPassword: "Test-Only-Passw0rd!",
        }),
    ]) {
      const { message, registered } = await rejected(program);
      assert.ok(message.includes(expected), message);
      assert.deepEqual(registered, []);
    }
  });

  it("rejects a MailboxCacheTTL under the capacity floor with the config message", async () => {
    const low = { mailboxCacheTtl: 60, minimumMailboxCacheTtl: 60 };
    const { message, registered } = await rejected(
      () =>
        new ExistingVmTuning("t", {
          vmId: existingVmId("mailfe01"),
          tcp: { tuning: "runCommand" },
          siteConfig: low,
          capacity: { activeSessionsPerHost: 100000, backendEndpoints: 1 },
        }),
    );
    assert.match(message, /mailhost:siteConfig\.mailboxCacheTtl = 60/);
    assert.deepEqual(registered, []);
  });

  it("PortExhaustionMonitoring rejects a threshold outside its range with the config message", async () => {
    const alerts = { timeWaitCollisionThreshold: -1 };
    const want = configMessage({ monitoring: { alerts } });
    const { message, registered } = await rejected(
      () =>
        new PortExhaustionMonitoring("m", {
          environment: "dev",
          resourceGroupName: "rg",
          vmIds: [existingVmId("a")],
          workspaceResourceId: EXISTING_WORKSPACE_ID,
          workspaceLocation: "westeurope",
          settings: { alerts },
        }),
    );
    assert.ok(message.includes(want), message);
    assert.deepEqual(registered, []);
  });

  it("refuses a SiteConfig.cfg value that is neither a string, a number nor a boolean (typed `any` for other languages), naming the key", async () => {
    const settings = { Imap: { BackendServers: ["imap-a", "imap-b"] } };
    const want = configMessage({ siteConfig: { ...SITE_CONFIG, settings } });
    assert.match(want, /mailhost:siteConfig\.settings\.Imap\.BackendServers/);
    const { message, registered } = await rejected(
      () =>
        new ExistingVmTuning("t", {
          vmId: existingVmId("mailfe01"),
          tcp: { tuning: "runCommand" },
          siteConfig: { ...SITE_CONFIG, settings },
          capacity: CAPACITY,
        }),
    );
    assert.ok(message.includes(want), message);
    assert.deepEqual(registered, []);
  });

  it("checks a password or webhook given as plain text like the stack's secrets, never showing them", async () => {
    const { message, registered } = await rejected(
      () =>
        new MailhostFleet("f", {
          environment: "dev",
          fleet: FLEET,
          tcp: TCP,
          siteConfig: SITE_CONFIG,
          capacity: CAPACITY,
          adminPassword: "short",
          alertWebhookUrl: "http://hooks.example.com/x",
        }),
    );
    assert.match(message, /mailhost:adminPassword \(secret, value not shown\) must be/);
    assert.match(message, /mailhost:alertWebhookUrl \(secret, value not shown\) must be an https:\/\/ URL/);
    assert.ok(!message.includes("short") && !message.includes("hooks.example.com"), message);
    assert.deepEqual(registered, []);
  });

  it("rejects ARM ids that are not a VM's, a subnet's or a resource group's, naming the input", async () => {
    const cases: Array<[() => void, RegExp]> = [
      [
        () =>
          new ExistingVmTuning("t", {
            vmId: "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Compute/disks/d",
            tcp: { tuning: "runCommand" },
            siteConfig: SITE_CONFIG,
            capacity: CAPACITY,
          }),
        /vmId = ".*" is not a virtual machine's ARM id/,
      ],
      [
        () => new ExistingVmTuning("t", { vmId: existingVmId("a"), tcp: TCP, siteConfig: SITE_CONFIG, capacity: CAPACITY }),
        /store is required with tcp.tuning = "machineConfiguration"/,
      ],
      [
        () =>
          new MailhostFleetInNetwork("f", {
            environment: "dev",
            resourceGroupId: "rg-mail",
            subnetId: SUBNET_ID,
            fleet: FLEET,
            tcp: TCP,
            siteConfig: SITE_CONFIG,
            capacity: CAPACITY,
            adminPassword: "x",
          }),
        /resourceGroupId = "rg-mail" is not a resource group's ARM id/,
      ],
      [
        () =>
          new MailhostFleetInNetwork("f", {
            environment: "dev",
            resourceGroupId: RESOURCE_GROUP_ID,
            subnetId: "snet-mail",
            fleet: FLEET,
            tcp: TCP,
            siteConfig: SITE_CONFIG,
            capacity: CAPACITY,
            adminPassword: "x",
          }),
        /subnetId = "snet-mail" is not a subnet's ARM id/,
      ],
      [
        () =>
          new PortExhaustionMonitoring("m", {
            environment: "dev",
            resourceGroupName: "rg",
            vmIds: [],
            workspaceResourceId: EXISTING_WORKSPACE_ID,
            workspaceLocation: "westeurope",
          }),
        /vmIds is empty/,
      ],
    ];
    for (const [program, pattern] of cases) {
      const { message, registered } = await rejected(program);
      assert.match(message, pattern);
      assert.deepEqual(registered, []);
    }
  });
});

describe("a guest content store shared by VMs", () => {
  it("publishes one package per tuning content, named by its hash, and one reader role per VM", async () => {
    const result = await run(() => {
      const store = new GuestContentStore("content", { resourceGroupName: "rg-mail-shared", accountName: "stmailcontent001" });
      new ExistingVmTuning("a", { vmId: existingVmId("a"), tcp: TCP, siteConfig: SITE_CONFIG, capacity: CAPACITY, store });
      new ExistingVmTuning("b", { vmId: existingVmId("b"), tcp: TCP, siteConfig: SITE_CONFIG, capacity: CAPACITY, store });
      new ExistingVmTuning("c", { vmId: existingVmId("c"), tcp: { ...TCP, tcpTimedWaitDelay: 90 }, siteConfig: SITE_CONFIG, capacity: CAPACITY, store });
    });
    const blobs = of(result, "azure-native:storage:Blob");
    assert.equal(blobs.length, 2, "a and b share one package; c has its own");
    const hashes = of(result, "azure-native:guestconfiguration:GuestConfigurationAssignment").map(
      (a) => (a.inputs as any).properties.guestConfiguration.contentHash as string,
    );
    assert.equal(hashes[0], hashes[1]);
    assert.notEqual(hashes[0], hashes[2]);
    for (const blob of blobs) assert.ok(hashes.some((h) => String(blob.inputs.blobName).endsWith(`-${h}.zip`)));
    assert.equal(of(result, "azure-native:authorization:RoleAssignment").length, 3);
    assert.equal(of(result, "azure-native:storage:StorageAccount").length, 1);
  });

  it("the pack's secret rule accepts the identity-read package and rejects the same assignment with a SAS in contentUri", async () => {
    const result = await run(() => {
      const store = new GuestContentStore("content", { resourceGroupName: "rg-mail-shared", accountName: "stmailcontent001" });
      new ExistingVmTuning("a", { vmId: existingVmId("a"), tcp: TCP, siteConfig: SITE_CONFIG, capacity: CAPACITY, store });
    });
    const [assignment] = of(result, "azure-native:guestconfiguration:GuestConfigurationAssignment");
    const props = JSON.parse(JSON.stringify(assignment.inputs));
    assert.deepEqual(await violations(secretsOnlyProtected, { type: assignment.type, name: assignment.name, props }), []);
    props.properties.guestConfiguration.contentUri += "?sv=2024-11-04&sr=b&sp=r&se=2027-01-01T00%3A00%3A00Z&sig=c2lnbmF0dXJl";
    const found = await violations(secretsOnlyProtected, { type: assignment.type, name: assignment.name, props });
    assert.equal(found.length, 1);
    assert.match(found[0], /properties\.guestConfiguration\.contentUri.*managed identity instead of a SAS URL/);
    assert.ok(!found[0].includes("sig="), "the value is never shown");
  });

  it("DSC tuning of an existing VM reads the store's archive with the SAS in protected settings only", async () => {
    const result = await run(() => {
      const store = new GuestContentStore("content", { resourceGroupName: "rg-mail-shared", accountName: "stmailcontent001" });
      new ExistingVmTuning("a", { vmId: existingVmId("a"), tcp: { tuning: "dsc" }, siteConfig: SITE_CONFIG, capacity: CAPACITY, store });
    });
    const [extension] = of(result, "azure-native:compute:VirtualMachineExtension");
    assert.equal(extension.inputs.publisher, "Microsoft.Powershell");
    assert.ok(!JSON.stringify(extension.inputs.settings).includes("sig="));
    assert.deepEqual(
      await violations(secretsOnlyProtected, { type: extension.type, name: extension.name, props: JSON.parse(JSON.stringify(extension.inputs)) }),
      [],
    );
  });
});

describe("a guest content store given by its values (programs in other languages)", () => {
  const CONTAINER_ID =
    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-mail-shared/providers/Microsoft.Storage/storageAccounts/stmailcontent001/blobServices/default/containers/mailhost-machine-configuration";
  const BLOB_ENDPOINT = "https://stmailcontent001.blob.core.windows.net/";

  it("a store's outputs carry what a VM tuned elsewhere needs; the DSC archive is published when asked", async () => {
    let store: GuestContentStore | undefined;
    const result = await run(() => {
      store = new GuestContentStore("content", { resourceGroupName: "rg-mail-shared", accountName: "stmailcontent001", publishDscArchive: true });
    });
    const archive = of(result, "azure-native:storage:Blob");
    assert.equal(archive.length, 1, "the DSC archive, published at once");
    assert.equal(archive[0].inputs.blobName, buildDscArchive().blobName);
    const [endpoint, url, containerId] = await Promise.all(
      [store!.blobEndpoint, store!.dscArchiveUrl!, store!.packageContainerId].map((o) => new Promise<string>((resolve) => o.apply(resolve))),
    );
    assert.equal(endpoint, BLOB_ENDPOINT);
    assert.equal(url, `${BLOB_ENDPOINT}mailhost-dsc/${archive[0].inputs.blobName}`);
    assert.ok(containerId.endsWith("/stmailcontent001/blobServices/default/containers/mailhost-machine-configuration"));
    const without = await run(() => new GuestContentStore("content", { resourceGroupName: "rg-mail-shared", accountName: "stmailcontent001" }));
    assert.equal(of(without, "azure-native:storage:Blob").length, 0, "by default nothing is published before first use");
  });

  it("Machine Configuration: each VM publishes its package in its own folder of the container and grants its own reader role", async () => {
    const store = { packageContainerId: CONTAINER_ID, blobEndpoint: BLOB_ENDPOINT };
    const result = await run(() => {
      new ExistingVmTuning("a", { vmId: existingVmId("a"), tcp: TCP, siteConfig: SITE_CONFIG, capacity: CAPACITY, store });
      new ExistingVmTuning("b", { vmId: existingVmId("b"), tcp: TCP, siteConfig: SITE_CONFIG, capacity: CAPACITY, store });
    });
    const blobs = of(result, "azure-native:storage:Blob");
    assert.equal(blobs.length, 2);
    const names = blobs.map((b) => String(b.inputs.blobName));
    assert.notEqual(names[0], names[1], "two components never manage one blob");
    assert.equal(names[0].split("/")[1], names[1].split("/")[1], "the same package, named by its hash");
    for (const blob of blobs)
      assert.deepEqual(
        [blob.inputs.resourceGroupName, blob.inputs.accountName, blob.inputs.containerName],
        ["rg-mail-shared", "stmailcontent001", "mailhost-machine-configuration"],
      );
    const roles = of(result, "azure-native:authorization:RoleAssignment");
    assert.equal(roles.length, 2);
    for (const role of roles) {
      assert.equal(role.inputs.scope, CONTAINER_ID);
      assert.match(
        String(role.inputs.roleDefinitionId),
        /^\/subscriptions\/00000000-0000-0000-0000-000000000000\/providers\/Microsoft\.Authorization\/roleDefinitions\//,
      );
    }
    const uris = of(result, "azure-native:guestconfiguration:GuestConfigurationAssignment").map(
      (a) => (a.inputs as any).properties.guestConfiguration.contentUri as string,
    );
    assert.deepEqual(uris.sort(), names.map((n) => `${BLOB_ENDPOINT}mailhost-machine-configuration/${n}`).sort());
  });

  it("DSC: the extension reads the store's archive by its URL, with a read-only SAS listed for that blob, in protected settings only", async () => {
    const url = `${BLOB_ENDPOINT}mailhost-dsc/MailhostTuning-${"A".repeat(64)}.zip`;
    const result = await run(
      () =>
        new ExistingVmTuning("a", {
          vmId: existingVmId("a"),
          tcp: { tuning: "dsc" },
          siteConfig: SITE_CONFIG,
          capacity: CAPACITY,
          store: { packageContainerId: CONTAINER_ID, blobEndpoint: BLOB_ENDPOINT, dscArchiveUrl: url },
        }),
    );
    assert.equal(of(result, "azure-native:storage:Blob").length, 0, "the store published the archive; the VM publishes nothing");
    const [extension] = of(result, "azure-native:compute:VirtualMachineExtension");
    const settings = JSON.parse(JSON.stringify(extension.inputs.settings));
    assert.equal(settings.configuration.url, url);
    const sasToken = JSON.stringify(extension.inputs.protectedSettings);
    assert.match(sasToken, new RegExp(`sr=b.*sp=r|sp=r.*sr=b`));
    assert.ok(!JSON.stringify(extension.inputs.settings).includes("sig="));
    assert.deepEqual(
      await violations(secretsOnlyProtected, { type: extension.type, name: extension.name, props: JSON.parse(JSON.stringify(extension.inputs)) }),
      [],
    );
  });

  it("refuses, before anything exists, a container id that is none, a SAS in the archive URL and DSC without the archive URL", async () => {
    const cases: Array<[GuestContentStoreReference, string, RegExp]> = [
      [
        { packageContainerId: "mailhost-machine-configuration", blobEndpoint: BLOB_ENDPOINT },
        "machineConfiguration",
        /store\.packageContainerId = "mailhost-machine-configuration" is not a blob container's ARM id/,
      ],
      [
        { packageContainerId: CONTAINER_ID, blobEndpoint: "stmailcontent001" },
        "machineConfiguration",
        /store\.blobEndpoint = "stmailcontent001" is not an account's blob endpoint/,
      ],
      [{ packageContainerId: CONTAINER_ID, blobEndpoint: BLOB_ENDPOINT }, "dsc", /store\.dscArchiveUrl is required with tcp\.tuning = "dsc"/],
      [
        { packageContainerId: CONTAINER_ID, blobEndpoint: BLOB_ENDPOINT, dscArchiveUrl: `${BLOB_ENDPOINT}mailhost-dsc/a.zip?sv=1&sig=x` },
        "dsc",
        /store\.dscArchiveUrl must not carry a SAS token/,
      ],
    ];
    for (const [store, tuning, pattern] of cases) {
      const { message, registered } = await rejected(
        () => new ExistingVmTuning("t", { vmId: existingVmId("a"), tcp: { tuning: tuning as "dsc" }, siteConfig: SITE_CONFIG, capacity: CAPACITY, store }),
      );
      assert.match(message, pattern);
      assert.deepEqual(registered, []);
    }
  });
});

describe("MailhostFleetInNetwork", () => {
  it("puts the hosts in the given subnet and resource group and creates no network of its own", async () => {
    const result = await run(
      () =>
        new MailhostFleetInNetwork("mail", {
          environment: "dev",
          resourceGroupId: RESOURCE_GROUP_ID,
          subnetId: SUBNET_ID,
          fleet: { hostCount: 2, vmSize: "Standard_D2s_v5", adminUsername: "mailops" },
          tcp: TCP,
          siteConfig: SITE_CONFIG,
          capacity: CAPACITY,
          adminPassword: "Test-Only-Passw0rd!",
        }),
    );
    for (const type of [
      "azure-native:resources:ResourceGroup",
      "azure-native:network:VirtualNetwork",
      "azure-native:network:Subnet",
      "azure-native:network:NetworkSecurityGroup",
      "azure-native:network:NatGateway",
      "azure-native:network:PublicIPAddress",
    ]) {
      assert.equal(of(result, type).length, 0, type);
    }
    const nics = of(result, "azure-native:network:NetworkInterface");
    assert.equal(nics.length, 2);
    for (const nic of nics) {
      assert.equal((nic.inputs as any).ipConfigurations[0].subnet.id, SUBNET_ID);
      assert.equal(nic.inputs.resourceGroupName, "rg-mail-app");
    }
    // Hosts created here carry the store's reader identity.
    const identity = of(result, "azure-native:managedidentity:UserAssignedIdentity");
    assert.equal(identity.length, 1);
    for (const vm of of(result, "azure-native:compute:VirtualMachine")) assert.equal((vm.inputs as any).identity.type, "SystemAssigned, UserAssigned");
  });
  it("creates NAT gateway alerts only on a gateway the user names, scoped to it", async () => {
    const NAT_GATEWAY_ID = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-network/providers/Microsoft.Network/natGateways/ng-hub";
    const fleet = (natGatewayId?: string) =>
      run(
        () =>
          new MailhostFleetInNetwork("mail", {
            environment: "dev",
            resourceGroupId: RESOURCE_GROUP_ID,
            subnetId: SUBNET_ID,
            natGatewayId,
            fleet: { hostCount: 1, vmSize: "Standard_D2s_v5", adminUsername: "mailops" },
            tcp: TCP,
            siteConfig: SITE_CONFIG,
            capacity: CAPACITY,
            adminPassword: "Test-Only-Passw0rd!",
          }),
      );
    assert.equal(of(await fleet(), "azure-native:monitor:MetricAlert").length, 0);
    const alerts = of(await fleet(NAT_GATEWAY_ID), "azure-native:monitor:MetricAlert");
    assert.deepEqual(alerts.map((a) => (a.inputs as any).criteria.allOf[0].metricName).sort(), ["PacketDropCount", "SNATConnectionCount"]);
    for (const alert of alerts) {
      assert.deepEqual((alert.inputs as any).scopes, [NAT_GATEWAY_ID]);
      assert.match(String((alert.inputs as any).description), /ng-hub/);
    }
    const refused = await rejected(
      () =>
        new MailhostFleetInNetwork("mail", {
          environment: "dev",
          resourceGroupId: RESOURCE_GROUP_ID,
          subnetId: SUBNET_ID,
          natGatewayId: "ng-hub",
          fleet: { hostCount: 1, vmSize: "Standard_D2s_v5", adminUsername: "mailops" },
          tcp: TCP,
          siteConfig: SITE_CONFIG,
          capacity: CAPACITY,
          adminPassword: "Test-Only-Passw0rd!",
        }),
    );
    assert.match(refused.message, /natGatewayId = "ng-hub" is not a NAT gateway's ARM id/);
    assert.deepEqual(refused.registered, []);
  });
});
