/**
 * Script text over the analyzer protocol (the pack as `mailhost check` runs it): the two inputs
 * that used to pass unnoticed are rejected as mandatory in prod; a protected command never has its
 * value echoed; a mail host that runs a script by address gets the advisory "cannot verify"; a
 * runCommand copy of prod (our own shipped script on every host) passes without a diagnostic.
 */
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import type { PolicyDiagnostic, PolicyPackProcess, AnalyzedResource } from "../../../engine/analyzer";
import { analyzeResources } from "../../../engine/policyCheck";
import { startStackPack } from "../../support/packs";
import { maxUserPortProblem, tcpTimedWaitDelayProblem } from "../../../domain/rules";
import { runStack, stackConfigWithSecret, withValue } from "../../support/stacks";
import { VM_NAME, vmArgs } from "../../unit/policies/fixtures";
import { ruleOf } from "../../../policies/all";

const byPolicy = (ds: PolicyDiagnostic[], name: string) => ds.filter((d) => d.policyName === name);
/** A rule's diagnostics: each rule is a policy of its own, named by the rule. */
const byRule = (ds: PolicyDiagnostic[], rule: string) => ds.filter((d) => d.policyName === rule && ruleOf(d) === rule);
/** The SDK puts the policy description before the message: the message proper is the last line. */
const messageOf = (d: PolicyDiagnostic) => d.message.split("\n").pop()!;
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

const EXAMPLE_REG = String.raw`reg add HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters /v TcpTimedWaitDelay /t REG_DWORD /d 500 /f`;
const EXAMPLE_POWERSHELL = String.raw`powershell -Command "Set-ItemProperty -Path 'HKLM:\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters' -Name MaxUserPort -Value 65535 -Type DWord"`;

function customScript(name: string, settings: Record<string, unknown>, protectedSettings?: Record<string, unknown>): AnalyzedResource {
  return {
    type: "azure-native:compute:VirtualMachineExtension",
    name,
    properties: {
      resourceGroupName: "rg-mail",
      vmName: VM_NAME,
      publisher: "Microsoft.Compute",
      type: "CustomScriptExtension",
      typeHandlerVersion: "1.10",
      settings,
      ...(protectedSettings ? { protectedSettings } : {}),
    },
  };
}

describe("script text over the analyzer protocol, prod config", () => {
  let pack: PolicyPackProcess;
  before(async () => {
    pack = await startStackPack("prod");
  });
  after(async () => {
    await pack?.close();
  });

  it("rejects the reg add of TcpTimedWaitDelay 500 in commandToExecute as mandatory", async () => {
    const [d, ...rest] = byRule(await pack.analyze(customScript("cse-reg", { commandToExecute: EXAMPLE_REG })), "mailhost-script-tuning-range");
    assert.deepEqual(rest, []);
    assert.equal(d.enforcementLevel, "mandatory");
    assert.match(
      messageOf(d),
      new RegExp(`^VirtualMachineExtension "cse-reg": ${escape(tcpTimedWaitDelayProblem(500)!)}, in settings\\.commandToExecute \\(line 1, reg add\\)\\.$`),
    );
  });

  it("rejects powershell -Command Set-ItemProperty MaxUserPort 65535 as mandatory", async () => {
    const [d, ...rest] = byRule(await pack.analyze(customScript("cse-ps", { commandToExecute: EXAMPLE_POWERSHELL })), "mailhost-script-tuning-range");
    assert.deepEqual(rest, []);
    assert.equal(d.enforcementLevel, "mandatory");
    assert.match(messageOf(d), new RegExp(`${escape(maxUserPortProblem(65535)!)}, in settings\\.commandToExecute \\(line 1, Set-ItemProperty\\)\\.$`));
  });

  it("rejects the same command in protectedSettings without echoing its value", async () => {
    const ds = byRule(await pack.analyze(customScript("cse-secret", { fileUris: [] }, { commandToExecute: EXAMPLE_REG })), "mailhost-script-tuning-range");
    assert.equal(ds.length, 1);
    assert.equal(ds[0].enforcementLevel, "mandatory");
    assert.match(messageOf(ds[0]), /protectedSettings\.commandToExecute/);
    assert.doesNotMatch(messageOf(ds[0]), /\b500\b/);
  });

  it("warns (advisory) that a mail host's run command fetched by scriptUri cannot be verified", async () => {
    const vm: AnalyzedResource = {
      type: "azure-native:compute:VirtualMachine",
      name: "vm",
      urn: "urn:pulumi:prod::mailhost::azure-native:compute:VirtualMachine::vm",
      properties: { ...vmArgs },
    };
    const rc: AnalyzedResource = {
      type: "azure-native:compute/v20241101:VirtualMachineRunCommandByVirtualMachine",
      name: "rc-uri",
      urn: "urn:pulumi:prod::mailhost::azure-native:compute:VirtualMachineRunCommandByVirtualMachine::rc-uri",
      properties: {
        resourceGroupName: "rg-mail",
        vmName: VM_NAME,
        runCommandName: "tune",
        source: { scriptUri: "https://st.blob.core.windows.net/scripts/tune.ps1" },
      },
    };
    const ds = byPolicy(await pack.analyzeStack([vm, rc]), "mailhost-script-tuning-verifiable");
    assert.equal(ds.length, 1);
    assert.equal(ds[0].enforcementLevel, "advisory");
    assert.match(ds[0].message, new RegExp(`cannot verify .* on VirtualMachine "${VM_NAME}": it runs a script fetched from source\\.scriptUri`));
    assert.doesNotMatch(ds[0].message, /blob\.core/);
  });

  it("passes a runCommand copy of prod (our shipped script on every host) without any diagnostic", async () => {
    const run = await runStack("prod", withValue(stackConfigWithSecret("prod"), "mailhost:tcp", "tuning", "runCommand"));
    assert.ok(run.resources.some((r) => /RunCommand/.test(r.type)));
    assert.deepEqual(await analyzeResources(pack, run.resources), []);
  });
});
