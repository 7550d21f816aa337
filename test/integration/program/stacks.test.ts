import { describe, it, before } from "node:test";
import * as assert from "node:assert/strict";
import { createHash } from "node:crypto";
import * as ini from "ini";
import { type OfflineRun, type RecordedResource, MOCK_SUBSCRIPTION, mockSasToken } from "../../../engine/offline";
import { requireStackConfig } from "../../../domain/config";
import { capacityPool, effectiveTtlFloor } from "../../../domain/capacity";
import { fromBase64Url, toBase64Url } from "../../../domain/guestEncoding";
import { STACKS, TEST_ADMIN_PASSWORD, runStack, stackFileConfig } from "../../support/stacks";
import { parseConfigurationParameterName } from "../../../domain/machineConfiguration";
import { defaultSasExpiry } from "../../../components/publishedContent";

const GC_ASSIGNMENT = "azure-native:guestconfiguration:GuestConfigurationAssignment";
const EXTENSION = "azure-native:compute:VirtualMachineExtension";
const RUN_COMMAND = "azure-native:compute:VirtualMachineRunCommandByVirtualMachine";
/** The resource type that carries the tuning values for each mechanism. */
const TUNING_TYPE = { dsc: EXTENSION, runCommand: RUN_COMMAND, machineConfiguration: GC_ASSIGNMENT } as const;

const DSC_PUBLISHER = "Microsoft.Powershell";
/** Resources of a type; VM extensions only the tuning (DSC) ones: a host also carries the Azure Monitor Agent. */
const byType = (run: OfflineRun, type: string): RecordedResource[] =>
  run.resources.filter((r) => r.type === type && (type !== "azure-native:compute:VirtualMachineExtension" || r.inputs.publisher === DSC_PUBLISHER));
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_VALUE_SIG = "1b47061264138c4ac30d75fd1eb44270";

function configOf(stack: string) {
  const raw = Object.fromEntries(
    Object.entries(stackFileConfig(stack))
      .filter(([k]) => k.startsWith("mailhost:"))
      .map(([k, v]) => [k.slice(9), v]),
  );
  return requireStackConfig(raw);
}

/** Reads a run-command parameter, a DSC configuration argument or an assignment parameter (by property) of a tuning resource. */
function tuningValue(resource: RecordedResource, name: string): unknown {
  if (resource.type === GC_ASSIGNMENT) {
    const parameters = (resource.inputs as any).properties.guestConfiguration.configurationParameter as Array<{ name: string; value: string }>;
    return parameters.find((p) => parseConfigurationParameterName(p.name)?.property === name)?.value;
  }
  if (resource.type === "azure-native:compute:VirtualMachineExtension") {
    return ((resource.inputs.settings as any).configurationArguments as Record<string, unknown>)[name];
  }
  const parameter = (resource.inputs.parameters as Array<{ name: string; value: string }>).find((p) => p.name === name);
  return parameter?.value;
}

for (const stack of STACKS) {
  describe(`stack ${stack} under mocks`, () => {
    let run: OfflineRun;
    const config = configOf(stack);
    before(async () => {
      run = await runStack(stack);
    });

    it("creates one VM per configured host, spread round-robin over the configured zones in canonical order", () => {
      const vms = byType(run, "azure-native:compute:VirtualMachine");
      assert.equal(vms.length, config.fleet.hostCount);
      vms.forEach((vm, i) => {
        const zones = vm.inputs.zones as string[] | undefined;
        if (config.fleet.zones.length === 0) assert.equal(zones, undefined);
        else assert.deepEqual(zones, [[...config.fleet.zones].sort()[i % config.fleet.zones.length]]);
      });
    });

    it("gives every VM Trusted Launch, a system-assigned identity, boot diagnostics and a secret password", () => {
      for (const vm of byType(run, "azure-native:compute:VirtualMachine")) {
        const inputs = vm.inputs as any;
        assert.deepEqual(inputs.securityProfile.uefiSettings, { secureBootEnabled: true, vTpmEnabled: true });
        assert.equal(inputs.securityProfile.securityType, "TrustedLaunch");
        if (config.tcp.tuning === "machineConfiguration") {
          // The agent needs the system-assigned identity; the package is read with the user-assigned one.
          const [identity] = byType(run, "azure-native:managedidentity:UserAssignedIdentity");
          assert.equal(inputs.identity.type, "SystemAssigned, UserAssigned");
          assert.deepEqual(inputs.identity.userAssignedIdentities, [
            `/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/${identity.inputs.resourceGroupName}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${identity.inputs.resourceName}`,
          ]);
        } else {
          assert.equal(inputs.identity.type, "SystemAssigned");
        }
        assert.equal(inputs.diagnosticsProfile.bootDiagnostics.enabled, true);
        assert.equal(inputs.storageProfile.imageReference.sku, `${config.fleet.windowsVersion}-datacenter-azure-edition`);
        // The secret password makes the whole osProfile a secret (Pulumi marks the enclosing value).
        assert.equal(inputs.osProfile[SECRET_SIG], SECRET_VALUE_SIG);
        assert.equal(inputs.osProfile.value.adminPassword, TEST_ADMIN_PASSWORD);
      }
    });

    it("creates no NIC with a public IP; the only public IP is the NAT gateway's, on no NIC", () => {
      const ips = byType(run, "azure-native:network:PublicIPAddress");
      const gateways = byType(run, "azure-native:network:NatGateway");
      assert.equal(ips.length, config.egress.kind === "natGateway" ? 1 : 0);
      for (const ip of ips) {
        const ipId = `/subscriptions/${MOCK_SUBSCRIPTION}/resourceGroups/${ip.inputs.resourceGroupName}/providers/Microsoft.Network/PublicIPAddress/${ip.inputs.publicIpAddressName}`;
        assert.deepEqual(
          gateways.map((g) => g.inputs.publicIpAddresses),
          [[{ id: ipId }]],
        );
      }
      for (const nic of byType(run, "azure-native:network:NetworkInterface")) {
        for (const ip of nic.inputs.ipConfigurations as any[]) assert.equal(ip.publicIPAddress, undefined);
      }
    });

    it("allows IMAP only from the configured CIDRs and never RDP/WinRM from the Internet", () => {
      const [nsg] = byType(run, "azure-native:network:NetworkSecurityGroup");
      const rules = nsg.inputs.securityRules as any[];
      const allows = rules.filter((r) => r.access === "Allow");
      assert.equal(allows.length, 1);
      assert.deepEqual(allows[0].sourceAddressPrefixes, config.fleet.allowedImapCidrs);
      assert.deepEqual(allows[0].destinationPortRanges, ["143", "993"]);
      const deny = rules.find((r) => r.access === "Deny");
      assert.deepEqual(deny.destinationPortRanges, ["3389", "5985", "5986"]);
      assert.equal(deny.sourceAddressPrefix, "Internet");
    });

    it("gives every VM exactly one tuning resource of the configured mechanism, carrying the configured values", () => {
      const vms = byType(run, "azure-native:compute:VirtualMachine");
      const type = TUNING_TYPE[config.tcp.tuning];
      const tunings = byType(run, type);
      for (const other of Object.values(TUNING_TYPE).filter((t) => t !== type && t !== EXTENSION)) assert.equal(byType(run, other).length, 0, other);
      // No DSC extension unless the mechanism is dsc.
      const dscExtensions = byType(run, EXTENSION).filter((e) => e.inputs.publisher === "Microsoft.Powershell");
      assert.equal(dscExtensions.length, config.tcp.tuning === "dsc" ? vms.length : 0);
      assert.deepEqual(tunings.map((t) => t.inputs.vmName).sort(), vms.map((v) => v.inputs.vmName).sort());
      const expected = {
        MaxUserPort: config.tcp.maxUserPort,
        TcpTimedWaitDelay: config.tcp.tcpTimedWaitDelay,
        DynamicPortRangeStartPort: config.tcp.dynamicPortRange.start,
        DynamicPortRangeNumberOfPorts: config.tcp.dynamicPortRange.count,
        SiteConfigPathBase64Url: toBase64Url(config.siteConfig.path),
      };
      for (const tuning of tunings) {
        assert.equal(fromBase64Url(String(tuningValue(tuning, "SiteConfigPathBase64Url"))), config.siteConfig.path);
        for (const [name, value] of Object.entries(expected)) {
          assert.equal(String(tuningValue(tuning, name)), String(value), `${tuning.name} ${name}`);
        }
      }
    });

    it("carries a rendered SiteConfig.cfg whose MailboxCacheTTL is at or above the effective floor", () => {
      const floor = effectiveTtlFloor(
        config.siteConfig.minimumMailboxCacheTtl,
        {
          activeSessions: config.capacity.activeSessionsPerHost,
          backendEndpoints: config.capacity.backendEndpoints,
          utilization: config.capacity.utilization,
        },
        capacityPool(
          {
            maxUserPort: config.tcp.maxUserPort,
            dynamicPortRangeStart: config.tcp.dynamicPortRange.start,
            dynamicPortRangeCount: config.tcp.dynamicPortRange.count,
          },
          config.tcp.autoReusePortRange,
        ),
        config.tcp.tcpTimedWaitDelay,
      );
      const tunings = byType(run, TUNING_TYPE[config.tcp.tuning]);
      assert.ok(tunings.length > 0);
      for (const tuning of tunings) {
        const content = fromBase64Url(String(tuningValue(tuning, "SiteConfigContentBase64Url")));
        assert.equal(
          tuningValue(tuning, "SiteConfigSha256"),
          createHash("sha256").update(content, "utf8").digest("hex"),
          "the guest checks what arrived against this hash",
        );
        const parsed = ini.parse(content);
        assert.equal(Number(parsed.Cache.MailboxCacheTTL), config.siteConfig.mailboxCacheTtl);
        assert.ok(Number(parsed.Cache.MailboxCacheTTL) >= floor);
      }
    });

    it("puts the SAS token only in protectedSettings, as a secret", () => {
      for (const ext of byType(run, "azure-native:compute:VirtualMachineExtension")) {
        assert.ok(!JSON.stringify(ext.inputs.settings).includes("sig="), "no SAS in settings");
        if (ext.inputs.publisher === "Microsoft.GuestConfiguration") {
          assert.equal(ext.inputs.protectedSettings, undefined, "the guest configuration extension needs no secret");
          continue;
        }
        const protectedSettings = ext.inputs.protectedSettings as any;
        assert.equal(protectedSettings[SECRET_SIG], SECRET_VALUE_SIG, "protectedSettings is a secret");
        // The read-only blob SAS the site asked for, until the end of next year (defaultSasExpiry).
        assert.equal(
          protectedSettings.value.configurationUrlSasToken,
          `?${mockSasToken({ resource: "b", permissions: "r", protocols: "https", sharedAccessExpiryTime: defaultSasExpiry() })}`,
        );
        assert.equal(ext.inputs.publisher, "Microsoft.Powershell");
        assert.equal(ext.inputs.type, "DSC");
        assert.equal(ext.inputs.typeHandlerVersion, "2.83");
        assert.match(String(ext.inputs.forceUpdateTag), /^[0-9a-f]{64}$/);
      }
      for (const cmd of byType(run, "azure-native:compute:VirtualMachineRunCommandByVirtualMachine")) {
        assert.ok(!JSON.stringify(cmd.inputs).includes("sig="));
        assert.match(String(tuningValue(cmd, "ContentHash")), /^[0-9a-f]{64}$/);
        for (const p of cmd.inputs.parameters as any[]) assert.equal(typeof p.value, "string");
      }
    });

    it("tags every taggable resource with the environment, the stack and the configured tags", () => {
      // Subnets, blob containers, blobs and data collection rule associations take no Azure tags.
      // Nor do role assignments and guest configuration assignments (extension resources).
      const untaggable = new Set([
        "azure-native:network:Subnet",
        "azure-native:storage:BlobContainer",
        "azure-native:storage:Blob",
        "azure-native:monitor:DataCollectionRuleAssociation",
        "azure-native:authorization:RoleAssignment",
        GC_ASSIGNMENT,
      ]);
      const taggable = run.resources.filter((x) => x.custom && !untaggable.has(x.type));
      assert.ok(taggable.length >= 6);
      for (const r of taggable) {
        const tags = r.inputs.tags as Record<string, string> | undefined;
        assert.ok(tags, `${r.type} ${r.name} has tags`);
        assert.equal(tags.environment, stack);
        assert.equal(tags["mailhost-stack"], stack);
        for (const [k, v] of Object.entries(config.fleet.tags)) assert.equal(tags[k], v, `${r.name}: tag ${k}`);
      }
    });

    it("exports per host its name, private IP, tuning, Rmax and TTL floor, and no secret", () => {
      const outputs = run.outputs as any;
      assert.equal(outputs.hosts.length, config.fleet.hostCount);
      for (const host of outputs.hosts) {
        assert.match(host.name, /^vm-mail-/);
        assert.match(host.privateIpAddress, /^10\./);
        assert.equal(host.tuning.mechanism, config.tcp.tuning);
        assert.ok(host.rmax > 0);
        assert.ok(host.effectiveTtlFloor >= config.siteConfig.minimumMailboxCacheTtl);
      }
      const text = JSON.stringify(outputs);
      assert.ok(!text.includes(TEST_ADMIN_PASSWORD) && !text.includes("sig="));
    });

    it("creates every cloud resource inside a component, named after it", () => {
      const byUrn = new Map(run.resources.map((r) => [r.urn, r]));
      for (const r of run.resources.filter((x) => x.type !== "pulumi:pulumi:Stack")) {
        const parent = r.parent === undefined ? undefined : byUrn.get(r.parent);
        assert.ok(parent, `${r.type} ${r.name} has a parent`);
        if (r.custom) {
          assert.match(parent.type, /^mailhost:azure:/, `${r.type} ${r.name} is a child of a component, not of the stack`);
          assert.ok(r.name.startsWith(parent.name), `${r.name} is named after its parent ${parent.name}`);
        }
      }
      for (const host of byType(run, "mailhost:azure:WindowsMailHost")) assert.equal(byUrn.get(host.parent!)?.type, "mailhost:azure:MailSite");
    });
  });
}
