import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { nicNoPublicIp } from "../../../policies/rules/nicNoPublicIp";
import { nsgNoRemoteManagementFromInternet } from "../../../policies/rules/nsgNoRemoteManagementFromInternet";
import { secretsOnlyProtected } from "../../../policies/rules/secretsOnlyProtected";
import { violations } from "./harness";
import { toBase64Url } from "../../../domain/guestEncoding";
import { carriedSiteConfig, dsc, nic, nsg, resource, runCommand, vm, withDscArgument, withParameter } from "./fixtures";

describe("mailhost-nic-no-public-ip", () => {
  it("accepts a private NIC and a VM without embedded public IP", async () => {
    assert.deepEqual(await violations(nicNoPublicIp, nic()), []);
    assert.deepEqual(await violations(nicNoPublicIp, vm()), []);
  });
  it("rejects a NIC with a public IP", async () => {
    const r = nic();
    (r.props.ipConfigurations as any[])[0].publicIPAddress = { id: "/subscriptions/x/publicIPAddresses/pip" };
    assert.deepEqual(await violations(nicNoPublicIp, r), [
      'NetworkInterface "vm-mail-unit-001-nic" attaches a public IP address in ipConfigurations[0] (ipconfig1); mail hosts must have none.',
    ]);
  });
  it("rejects a VM whose embedded NIC configuration has a public IP", async () => {
    const r = vm();
    (r.props as any).networkProfile = {
      networkInterfaceConfigurations: [{ name: "nic", ipConfigurations: [{ name: "ip", publicIPAddressConfiguration: { name: "pip" } }] }],
    };
    assert.equal((await violations(nicNoPublicIp, r)).length, 1);
  });
});

describe("mailhost-nsg-no-remote-management-from-internet", () => {
  const withRule = (rule: Record<string, unknown>) => {
    const r = nsg();
    (r.props.securityRules as any[]).push({
      name: "hand-written",
      priority: 200,
      direction: "Inbound",
      access: "Allow",
      protocol: "Tcp",
      sourcePortRange: "*",
      destinationAddressPrefix: "*",
      ...rule,
    });
    return r;
  };
  it("accepts the component's NSG (IMAP from named CIDRs, explicit deny of RDP/WinRM)", async () =>
    assert.deepEqual(await violations(nsgNoRemoteManagementFromInternet, nsg()), []));
  for (const source of ["*", "Internet", "0.0.0.0/0"]) {
    it(`rejects RDP from ${source}`, async () => {
      assert.deepEqual(await violations(nsgNoRemoteManagementFromInternet, withRule({ sourceAddressPrefix: source, destinationPortRange: "3389" })), [
        'NetworkSecurityGroup "mailhost-nsg": rule "hand-written" allows port 3389 in from the Internet; remote management must never be reachable from "*", "Internet" or 0.0.0.0/0.',
      ]);
    });
  }
  it("rejects WinRM inside a port range, from a list of sources", async () => {
    assert.match(
      (
        await violations(
          nsgNoRemoteManagementFromInternet,
          withRule({ sourceAddressPrefixes: ["10.0.0.0/8", "Internet"], destinationPortRanges: ["5000-6000"] }),
        )
      )[0],
      /allows ports 5985, 5986 in from the Internet/,
    );
  });
  it("rejects any port from anywhere with any protocol", async () => {
    assert.match(
      (await violations(nsgNoRemoteManagementFromInternet, withRule({ sourceAddressPrefix: "*", destinationPortRange: "*", protocol: "*" })))[0],
      /allows ports 3389, 5985, 5986/,
    );
  });
  it("accepts RDP from a private network, outbound rules, deny rules and UDP", async () => {
    assert.deepEqual(await violations(nsgNoRemoteManagementFromInternet, withRule({ sourceAddressPrefix: "10.0.0.0/8", destinationPortRange: "3389" })), []);
    assert.deepEqual(
      await violations(nsgNoRemoteManagementFromInternet, withRule({ direction: "Outbound", sourceAddressPrefix: "*", destinationPortRange: "3389" })),
      [],
    );
    assert.deepEqual(
      await violations(nsgNoRemoteManagementFromInternet, withRule({ access: "Deny", sourceAddressPrefix: "*", destinationPortRange: "3389" })),
      [],
    );
    assert.deepEqual(
      await violations(nsgNoRemoteManagementFromInternet, withRule({ protocol: "Udp", sourceAddressPrefix: "*", destinationPortRange: "5985" })),
      [],
    );
  });
  it("rejects RDP over UDP from the Internet", async () => {
    assert.match(
      (await violations(nsgNoRemoteManagementFromInternet, withRule({ protocol: "Udp", sourceAddressPrefix: "Internet", destinationPortRange: "3389" })))[0],
      /allows port 3389 in from the Internet/,
    );
  });
  it("rejects a source prefix so short it covers much of the Internet (0.0.0.0/1), accepts /8", async () => {
    assert.equal((await violations(nsgNoRemoteManagementFromInternet, withRule({ sourceAddressPrefix: "0.0.0.0/1", destinationPortRange: "3389" }))).length, 1);
    assert.deepEqual(await violations(nsgNoRemoteManagementFromInternet, withRule({ sourceAddressPrefix: "10.0.0.0/8", destinationPortRange: "3389" })), []);
  });
  it("checks a stand-alone SecurityRule resource", async () => {
    const rule = resource("azure-native:network:SecurityRule", "rdp", {
      securityRuleName: "rdp",
      direction: "Inbound",
      access: "Allow",
      protocol: "Tcp",
      sourceAddressPrefix: "Internet",
      destinationPortRange: "3389",
    });
    assert.equal((await violations(nsgNoRemoteManagementFromInternet, rule)).length, 1);
  });
});

describe("mailhost-secrets-only-in-protected-settings", () => {
  const SAS = "?sv=2024-11-04&sr=b&sp=r&sig=c2VjcmV0LXNpZ25hdHVyZQ";
  it("accepts a SAS token in protectedSettings", async () => {
    assert.deepEqual(await violations(secretsOnlyProtected, dsc()), []);
    assert.deepEqual(await violations(secretsOnlyProtected, runCommand()), []);
  });
  it("rejects a SAS token in plain settings without showing it", async () => {
    const r = dsc();
    (r.props.settings as any).configurationUrlSasToken = SAS;
    const messages = await violations(secretsOnlyProtected, r);
    assert.deepEqual(messages, [
      'VirtualMachineExtension "vm-mail-unit-001-tuning-dsc" carries a credential in settings.configurationUrlSasToken (value not shown); move it to protectedSettings.',
    ]);
    assert.ok(!messages.join("").includes("c2VjcmV0"));
  });
  it("rejects a SAS-signed URL under any key", async () => {
    const r = dsc();
    (r.props.settings as any).configuration.url = `https://st.blob.core.windows.net/dsc/a.zip${SAS}`;
    assert.match((await violations(secretsOnlyProtected, r))[0], /settings.configuration.url \(value not shown\)/);
  });
  it("rejects a run command that reads its script or writes its output through a SAS URL", async () => {
    const r = runCommand();
    r.props.outputBlobUri = "https://st.blob.core.windows.net/out/log.txt?sv=2024-11-04&sp=w&sig=c2VjcmV0";
    assert.deepEqual(await violations(secretsOnlyProtected, r), [
      'VirtualMachineRunCommandByVirtualMachine "vm-mail-unit-001-tuning-runcmd" carries a credential in outputBlobUri (value not shown); move it to a managed identity instead of a SAS URL.',
    ]);
  });
  it("rejects a password in a plain run-command parameter", async () => {
    assert.deepEqual(await violations(secretsOnlyProtected, withParameter(runCommand(), "AdminPassword", "hunter2-Hunter2")), [
      'VirtualMachineRunCommandByVirtualMachine "vm-mail-unit-001-tuning-runcmd" carries a credential in parameters[AdminPassword] (value not shown); move it to protectedParameters.',
    ]);
  });
  it("looks inside base64url values: an encoded SiteConfig.cfg with a SAS signature is still a credential", async () => {
    const text = `${carriedSiteConfig(runCommand())}[Storage]\r\nUrl = https://st.blob.core.windows.net/c?sv=2024-11-04&sig=c2VjcmV0\r\n`;
    assert.deepEqual(await violations(secretsOnlyProtected, withParameter(runCommand(), "SiteConfigContentBase64Url", toBase64Url(text))), [
      'VirtualMachineRunCommandByVirtualMachine "vm-mail-unit-001-tuning-runcmd" carries a credential in parameters[SiteConfigContentBase64Url] (value not shown); move it to protectedParameters.',
    ]);
    assert.equal((await violations(secretsOnlyProtected, withDscArgument(dsc(), "SiteConfigContentBase64Url", toBase64Url(text)))).length, 1);
    assert.deepEqual(await violations(secretsOnlyProtected, runCommand()), []);
  });
});
