/**
 * The script-text reader and its two policies, on command texts shaped like public runbooks:
 * a table of texts with the verdict each must get, then generated commands (fast-check) whose
 * verdict must be the range rule's. Boundaries come from domain/limits.ts.
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import fc from "fast-check";
import {
  AUTO_REUSE_PORT_RANGE_COUNT as AUTO_COUNT,
  MIN_PORTS_OUTSIDE_AUTO_REUSE_RANGE as OUTSIDE,
  DYNAMIC_PORT_RANGE_COUNT as COUNT,
  DYNAMIC_PORT_RANGE_START as START,
  HIGHEST_PORT,
  MAX_USER_PORT as MUP,
  TCP_TIMED_WAIT_DELAY as TWD,
} from "../../../domain/limits";
import { dynamicPortRangeProblems, maxUserPortProblem, tcpTimedWaitDelayProblem } from "../../../domain/rules";
import { RUN_COMMAND_SCRIPT, readGuestScript } from "../../../components/guestScripts";
import { scriptTuningRange } from "../../../policies/rules/scriptTuningRange";
import { scriptTuningVerifiable } from "../../../policies/rules/scriptTuningVerifiable";
import { readScriptText } from "../../../policies/lib/scriptText/reader";
import { type TestResource, stackViolations, violations } from "./harness";
import { VM_NAME, vmArgs } from "./fixtures";

const KEY = String.raw`HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters`;
const PS_KEY = String.raw`HKLM:\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters`;
const hex = (n: number) => `0x${n.toString(16).toUpperCase()}`;
const utf16Base64 = (s: string) => Buffer.from(s, "utf16le").toString("base64");

type Verdict = "reject" | "cannot verify" | "pass";

/** Where a text sits: an extension's commandToExecute (cmd) or a run command's script (PowerShell). */
type Carrier = "cse" | "cse-protected" | "vmss-extension" | "run-command" | "vmss-run-command" | "action-script";

function resourceWith(carrier: Carrier, text: string): TestResource {
  const cse = (type: string, settings: Record<string, unknown>) => ({
    type,
    name: "tune",
    props: { resourceGroupName: "rg", vmName: VM_NAME, publisher: "Microsoft.Compute", type: "CustomScriptExtension", typeHandlerVersion: "1.10", ...settings },
  });
  switch (carrier) {
    case "cse":
      return cse("azure-native:compute:VirtualMachineExtension", { settings: { commandToExecute: text } });
    case "cse-protected":
      return cse("azure-native:compute/v20240701:VirtualMachineExtension", { settings: {}, protectedSettings: { commandToExecute: text } });
    case "vmss-extension":
      return cse("azure-native:compute:VirtualMachineScaleSetExtension", { settings: { commandToExecute: text } });
    case "run-command":
      return {
        type: "azure-native:compute:VirtualMachineRunCommandByVirtualMachine",
        name: "tune",
        props: { resourceGroupName: "rg", vmName: VM_NAME, runCommandName: "tune", source: { script: text } },
      };
    case "vmss-run-command":
      return {
        type: "azure-native:compute/v20241101:VirtualMachineScaleSetVMRunCommand",
        name: "tune",
        props: { resourceGroupName: "rg", vmScaleSetName: "vmss", instanceId: "0", runCommandName: "tune", source: { script: text } },
      };
    case "action-script":
      return {
        type: "azure-native:compute:VirtualMachineRunCommandByVirtualMachine",
        name: "tune",
        props: { resourceGroupName: "rg", vmName: VM_NAME, runCommandName: "tune", script: text.split("\n") },
      };
  }
}

async function verdictOf(resource: TestResource): Promise<{ verdict: Verdict; messages: string[] }> {
  const rejected = await violations(scriptTuningRange, resource);
  if (rejected.length > 0) return { verdict: "reject", messages: rejected };
  const unverifiable = (await stackViolations(scriptTuningVerifiable, [resource])).map((v) => v.message);
  return { verdict: unverifiable.length > 0 ? "cannot verify" : "pass", messages: unverifiable };
}

const CASES: Array<[string, Carrier, string, Verdict]> = [
  // The two examples of the report that were let through.
  ["reg add TcpTimedWaitDelay 500 (first example)", "cse", `reg add ${KEY} /v TcpTimedWaitDelay /t REG_DWORD /d 500 /f`, "reject"],
  [
    "powershell -Command Set-ItemProperty MaxUserPort 65535 (second example)",
    "cse",
    `powershell -Command "Set-ItemProperty -Path '${PS_KEY}' -Name MaxUserPort -Value 65535 -Type DWord"`,
    "reject",
  ],
  // reg add in cmd: both sides of both ranges, decimal and hex, key spellings, the registry type.
  ["reg add TcpTimedWaitDelay at the minimum", "cse", `reg add ${KEY} /v TcpTimedWaitDelay /t REG_DWORD /d ${TWD.min} /f`, "pass"],
  [
    "reg add TcpTimedWaitDelay below the minimum, HKEY_LOCAL_MACHINE and ControlSet001, quoted",
    "cse",
    `reg add "HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Services\\Tcpip\\Parameters" /v "TcpTimedWaitDelay" /t REG_DWORD /d ${TWD.min - 1} /f`,
    "reject",
  ],
  [
    "reg.exe add TcpTimedWaitDelay at the maximum in hex",
    "cse",
    `C:\\Windows\\System32\\reg.exe ADD ${KEY} /V TcpTimedWaitDelay /T REG_DWORD /D ${hex(TWD.max)} /F`,
    "pass",
  ],
  ["reg add TcpTimedWaitDelay above the maximum in hex", "cse", `reg add ${KEY} /f /d ${hex(TWD.max + 1)} /t REG_DWORD /v TcpTimedWaitDelay`, "reject"],
  ["reg add MaxUserPort at the maximum", "cse-protected", `reg add ${KEY} /v MaxUserPort /t REG_DWORD /d ${MUP.max} /f`, "pass"],
  ["reg add MaxUserPort above the maximum (protected)", "cse-protected", `reg add ${KEY} /v MaxUserPort /t REG_DWORD /d ${MUP.max + 1} /f`, "reject"],
  ["reg add MaxUserPort at the minimum in hex", "vmss-extension", `reg add ${KEY} /v MaxUserPort /t REG_DWORD /d ${hex(MUP.min)} /f`, "pass"],
  ["reg add MaxUserPort below the minimum on a scale set", "vmss-extension", `reg add ${KEY} /v MaxUserPort /t REG_DWORD /d ${MUP.min - 1} /f`, "reject"],
  ["reg add without /t writes REG_SZ, which Windows ignores", "cse", `reg add ${KEY} /v TcpTimedWaitDelay /d ${TWD.min} /f`, "reject"],
  ["reg add /t REG_SZ", "cse", `reg add ${KEY} /v MaxUserPort /t REG_SZ /d ${MUP.max} /f`, "reject"],
  [
    "reg add to the Tcpip6 key is not this setting",
    "cse",
    `reg add HKLM\\SYSTEM\\CurrentControlSet\\Services\\Tcpip6\\Parameters /v TcpTimedWaitDelay /t REG_DWORD /d 1 /f`,
    "pass",
  ],
  ["reg query mentions the setting without setting it", "cse", `reg query ${KEY} /v TcpTimedWaitDelay && echo TcpTimedWaitDelay 5`, "pass"],
  ["reg add with an environment variable", "cse", `reg add ${KEY} /v TcpTimedWaitDelay /t REG_DWORD /d %DELAY% /f`, "cannot verify"],
  ["cmd /c with a quoted reg add, chained", "cse", `cmd /c "reg add ${KEY} /v TcpTimedWaitDelay /t REG_DWORD /d ${TWD.max + 1} /f" & echo done`, "reject"],
  [
    "powershell -EncodedCommand hides a Set-ItemProperty",
    "cse",
    `powershell.exe -NoProfile -ExecutionPolicy Bypass -EncodedCommand ${utf16Base64(`Set-ItemProperty -Path '${PS_KEY}' -Name TcpTimedWaitDelay -Value ${TWD.max + 1}`)}`,
    "reject",
  ],
  // netsh in cmd.
  [
    "netsh int ipv4 set dynamicport, smallest range at the lowest start",
    "cse",
    `netsh int ipv4 set dynamicport tcp start=${START.min} num=${COUNT.min}`,
    "pass",
  ],
  [
    "netsh interface ipv6 set dynamicportrange, start below the minimum",
    "cse",
    `netsh interface ipv6 set dynamicportrange protocol=tcp startport=${START.min - 1} numberofports=${COUNT.min}`,
    "reject",
  ],
  ["netsh range ending exactly at the highest port", "cse", `netsh int ipv4 set dyn tcp 10000 ${HIGHEST_PORT - 10000 + 1}`, "pass"],
  ["netsh range ending one above the highest port", "cse", `netsh int ipv4 set dynamicport tcp start=10000 num=${HIGHEST_PORT - 10000 + 2}`, "reject"],
  ["netsh range one port too small", "cse", `netsh int ipv4 set dynamicport tcp start=${START.max} num=${COUNT.min - 1}`, "reject"],
  ["netsh range starting at the highest allowed start", "cse", `netsh int ip set dynamicport tcp start=${START.max} num=${COUNT.min}`, "pass"],
  ["netsh show reads without setting", "cse", `netsh int ipv4 show dynamicport tcp & netsh int ipv6 show dynamicportrange tcp`, "pass"],
  ["netsh on UDP is not governed", "cse", `netsh int ipv4 set dynamicport udp start=1 num=1`, "pass"],
  [
    "MaxUserPort and a range that ends at it",
    "cse",
    `reg add ${KEY} /v MaxUserPort /t REG_DWORD /d ${MUP.max} /f && netsh int ipv4 set dynamicport tcp start=10000 num=${MUP.max - 10000 + 1}`,
    "pass",
  ],
  [
    "MaxUserPort and a range that ends below it",
    "cse",
    `reg add ${KEY} /v MaxUserPort /t REG_DWORD /d ${MUP.max} /f && netsh int ipv4 set dynamicport tcp start=10000 num=${MUP.max - 10000}`,
    "reject",
  ],
  // PowerShell in run commands.
  ["Set-ItemProperty positional, above the maximum", "run-command", `Set-ItemProperty '${PS_KEY}' TcpTimedWaitDelay ${TWD.max + 1}`, "reject"],
  [
    "sp with abbreviated parameters, HKLM: without backslash, below the minimum",
    "run-command",
    `sp -pat HKLM:SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters -n TcpTimedWaitDelay -va ${TWD.min - 1}`,
    "reject",
  ],
  [
    "New-ItemProperty Registry:: path, DWord, hex at the maximum",
    "run-command",
    `New-ItemProperty -Path 'Registry::HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters' -Name MaxUserPort -PropertyType DWord -Value ${hex(MUP.max)} -Force | Out-Null`,
    "pass",
  ],
  [
    "New-ItemProperty of a string without a type writes REG_SZ",
    "run-command",
    `New-ItemProperty -Path '${PS_KEY}' -Name TcpTimedWaitDelay -Value '${TWD.min}' -Force`,
    "reject",
  ],
  ["New-ItemProperty -Type String", "vmss-run-command", `New-ItemProperty -Path "${PS_KEY}" -Name TcpTimedWaitDelay -Type String -Value ${TWD.min}`, "reject"],
  [
    "a constant key variable and a value below the minimum",
    "run-command",
    `$key = '${PS_KEY}'\nif (-not (Test-Path $key)) { New-Item -Path $key -Force | Out-Null }\nSet-ItemProperty -Path $key -Name TcpTimedWaitDelay -Value ${TWD.min - 1} -Type DWord`,
    "reject",
  ],
  ["a DWord string at the minimum", "run-command", `Set-ItemProperty -Path '${PS_KEY}' -Name:MaxUserPort -Value "${MUP.min}" -Type:DWord`, "pass"],
  [
    "a script parameter as the value",
    "run-command",
    `param([int]$Delay = 30)\nSet-ItemProperty -Path '${PS_KEY}' -Name TcpTimedWaitDelay -Value $Delay -Type DWord`,
    "cannot verify",
  ],
  ["a key from the environment", "run-command", `Set-ItemProperty -Path $env:TCPIP_KEY -Name MaxUserPort -Value ${MUP.max}`, "cannot verify"],
  [
    "comments that mention the settings",
    "run-command",
    `# Set-ItemProperty -Path '${PS_KEY}' -Name TcpTimedWaitDelay -Value 5\n<# reg add ${KEY} /v MaxUserPort /d 1 #>\nWrite-Output 'done'`,
    "pass",
  ],
  [
    "Get-ItemProperty and output that mention the settings",
    "action-script",
    `Get-ItemProperty -Path '${PS_KEY}' -Name TcpTimedWaitDelay\nWrite-Output "MaxUserPort = 5"\nreg query ${KEY} /v MaxUserPort`,
    "pass",
  ],
  ["-WhatIf changes nothing", "run-command", `Set-ItemProperty -Path '${PS_KEY}' -Name TcpTimedWaitDelay -Value 5 -WhatIf`, "pass"],
  [
    "Set-NetTCPSetting start above the maximum",
    "run-command",
    `Set-NetTCPSetting -SettingName InternetCustom -DynamicPortRangeStartPort ${START.max + 1} -DynamicPortRangeNumberOfPorts ${COUNT.min}`,
    "reject",
  ],
  [
    "Set-NetTCPSetting the project's range",
    "run-command",
    `Set-NetTCPSetting -SettingName Internet -DynamicPortRangeStartPort 10000 -DynamicPortRangeNumberOfPorts ${HIGHEST_PORT - 10000}`,
    "pass",
  ],
  // The auto-reuse port range (Set-NetTCPSetting only; strictly inside the dynamic range set beside it).
  [
    "Set-NetTCPSetting an auto-reuse range inside the dynamic range it sets",
    "run-command",
    `Set-NetTCPSetting -SettingName InternetCustom -DynamicPortRangeStartPort 10000 -DynamicPortRangeNumberOfPorts 55535 -AutoReusePortRangeStartPort 40000 -AutoReusePortRangeNumberOfPorts 20000`,
    "pass",
  ],
  [
    "Set-NetTCPSetting an auto-reuse range below the dynamic range set on the line before",
    "run-command",
    `Set-NetTCPSetting -SettingName InternetCustom -DynamicPortRangeStartPort 10000 -DynamicPortRangeNumberOfPorts 55535\nSet-NetTCPSetting -SettingName InternetCustom -AutoReusePortRangeStartPort 5000 -AutoReusePortRangeNumberOfPorts 1000`,
    "reject",
  ],
  [
    "Set-NetTCPSetting an auto-reuse range leaving too few dynamic ports outside",
    "run-command",
    `Set-NetTCPSetting -SettingName DatacenterCustom -DynamicPortRangeStartPort 10000 -DynamicPortRangeNumberOfPorts 55535 -AutoReusePortRangeStartPort 10000 -AutoReusePortRangeNumberOfPorts ${55535 - OUTSIDE + 1}`,
    "reject",
  ],
  [
    "Set-NetTCPSetting an auto-reuse range one port too small",
    "run-command",
    `Set-NetTCPSetting -SettingName InternetCustom -AutoReusePortRangeStartPort 40000 -AutoReusePortRangeNumberOfPorts ${AUTO_COUNT.min - 1}`,
    "reject",
  ],
  [
    "Set-NetTCPSetting switching the auto-reuse range off (0 ports)",
    "run-command",
    `Set-NetTCPSetting -SettingName InternetCustom -AutoReusePortRangeStartPort 0 -AutoReusePortRangeNumberOfPorts 0`,
    "pass",
  ],
  [
    "Set-NetTCPSetting an abbreviated auto-reuse count from a variable",
    "run-command",
    `Set-NetTCPSetting InternetCustom -AutoReusePortRangeS 40000 -AutoReusePortRangeN $count`,
    "cannot verify",
  ],
  [
    "cmd /c powershell Set-NetTCPSetting with an auto-reuse range above the highest port",
    "cse",
    `powershell -Command "Set-NetTCPSetting -SettingName InternetCustom -AutoReusePortRangeStartPort 65000 -AutoReusePortRangeNumberOfPorts 1000"`,
    "reject",
  ],
  [
    "netsh inside a script block with a variable start",
    "run-command",
    `Invoke-Command -ScriptBlock { netsh int ipv4 set dynamicport tcp start=$start num=1000 }`,
    "cannot verify",
  ],
  ["netsh with a variable start still rejects too few ports", "run-command", `netsh int ipv4 set dynamicport tcp start=$start num=${COUNT.min - 1}`, "reject"],
  ["cmd /c reg add from PowerShell, above the maximum", "action-script", `cmd /c "reg add ${KEY} /v MaxUserPort /t REG_DWORD /d ${MUP.max + 1} /f"`, "reject"],
  ["reg add from PowerShell in hex at the minimum", "run-command", `& reg.exe add "${KEY}" /v TcpTimedWaitDelay /t REG_DWORD /d ${hex(TWD.min)} /f`, "pass"],
];

describe("script text: a table of runbook-shaped commands and their verdicts", () => {
  for (const [title, carrier, text, expected] of CASES) {
    it(`${expected}: ${title}`, async () => {
      const { verdict, messages } = await verdictOf(resourceWith(carrier, text));
      assert.equal(verdict, expected, messages.join("\n"));
    });
  }

  it("names the resource, the setting, the value and the range, as the structured policies do", async () => {
    const [message] = await violations(scriptTuningRange, resourceWith("cse", `reg add ${KEY} /v TcpTimedWaitDelay /t REG_DWORD /d ${TWD.max + 1} /f`));
    assert.equal(message, `VirtualMachineExtension "tune": ${tcpTimedWaitDelayProblem(TWD.max + 1)}, in settings.commandToExecute (line 1, reg add).`);
  });
  it("never shows a protected value, not even one it cannot evaluate", async () => {
    const [rejected] = await violations(
      scriptTuningRange,
      resourceWith("cse-protected", `netsh int ipv4 set dynamicport tcp start=${START.min - 1} num=${COUNT.min}`),
    );
    assert.match(rejected, /protectedSettings\.commandToExecute/);
    assert.doesNotMatch(rejected, new RegExp(`\\b${START.min - 1}\\b`));
    const [unverifiable] = await stackViolations(scriptTuningVerifiable, [
      resourceWith("cse-protected", `reg add ${KEY} /v MaxUserPort /t REG_DWORD /d %SECRET_PORT% /f`),
    ]);
    assert.doesNotMatch(unverifiable.message, /SECRET_PORT/);
    assert.match(unverifiable.message, /cannot verify MaxUserPort/);
  });
  it("says a missing /t REG_DWORD leaves Windows on its default", async () => {
    const [message] = await violations(scriptTuningRange, resourceWith("cse", `reg add ${KEY} /v TcpTimedWaitDelay /d ${TWD.min} /f`));
    assert.match(message, /TcpTimedWaitDelay is written as REG_SZ, not REG_DWORD; .* Windows ignores it/);
  });
  it("recognises our own run-command script and reads nothing from it", async () => {
    assert.deepEqual(await readScriptText(readGuestScript(RUN_COMMAND_SCRIPT.file), "powershell"), []);
  });
  it("reads our own run-command script with one character changed as foreign script text", async () => {
    const changed = `${readGuestScript(RUN_COMMAND_SCRIPT.file)}\n`;
    const { verdict } = await verdictOf(resourceWith("run-command", changed));
    assert.notEqual(verdict, "reject");
  });
  it("warns only for a mail host that runs a script fetched by address", async () => {
    const vm: TestResource = { type: "azure-native:compute:VirtualMachine", name: "vm", props: { ...vmArgs } };
    const byUri: TestResource = {
      type: "azure-native:compute:VirtualMachineExtension",
      name: "cse-uri",
      props: { vmName: VM_NAME, settings: { fileUris: ["https://st.blob.core.windows.net/s/tune.ps1"], commandToExecute: "powershell -File tune.ps1" } },
    };
    const [warning, ...rest] = await stackViolations(scriptTuningVerifiable, [vm, byUri]);
    assert.deepEqual(rest, []);
    assert.match(warning.message, /settings\.fileUris, which the pack cannot read/);
    assert.deepEqual(await stackViolations(scriptTuningVerifiable, [{ ...byUri, props: { ...byUri.props, vmName: "vm-not-in-this-stack" } }]), []);
  });
});

/** Spellings of a registry write of `value` (a non-negative integer) under the Tcpip key. */
const registryWrite = (setting: "TcpTimedWaitDelay" | "MaxUserPort", value: number) =>
  fc
    .record({
      hive: fc.constantFrom("HKLM", "HKEY_LOCAL_MACHINE", "hklm"),
      controlSet: fc.constantFrom("CurrentControlSet", "ControlSet001", "ControlSet002"),
      psPrefix: fc.constantFrom("HKLM:\\", "HKLM:", "Registry::HKEY_LOCAL_MACHINE\\", "Microsoft.PowerShell.Core\\Registry::HKLM\\"),
      useHex: fc.boolean(),
      form: fc.constantFrom(
        "reg",
        "reg-in-powershell-command",
        "Set-ItemProperty-named",
        "Set-ItemProperty-positional",
        "New-ItemProperty",
        "Set-ItemProperty-in-script",
      ),
      quote: fc.constantFrom("'", '"'),
    })
    .map(({ hive, controlSet, psPrefix, useHex, form, quote }): [Carrier, string] => {
      const data = useHex ? hex(value) : String(value);
      const regKey = `${hive}\\SYSTEM\\${controlSet}\\Services\\Tcpip\\Parameters`;
      const psKey = `${psPrefix}SYSTEM\\${controlSet}\\Services\\Tcpip\\Parameters`;
      switch (form) {
        case "reg":
          return ["cse", `reg add "${regKey}" /v ${setting} /t REG_DWORD /d ${data} /f`];
        case "reg-in-powershell-command":
          return ["cse", `powershell -NoProfile -Command "reg add '${regKey}' /v ${setting} /t REG_DWORD /d ${data} /f"`];
        case "Set-ItemProperty-named":
          return ["cse", `powershell -Command "Set-ItemProperty -Path '${psKey}' -Name ${setting} -Value ${data} -Type DWord"`];
        case "Set-ItemProperty-positional":
          return ["run-command", `Set-ItemProperty ${quote}${psKey}${quote} ${setting} ${data}`];
        case "New-ItemProperty":
          return ["run-command", `New-ItemProperty -Path ${quote}${psKey}${quote} -Name ${setting} -PropertyType DWord -Value ${data} -Force | Out-Null`];
        default:
          return ["action-script", `$path = ${quote}${psKey}${quote}\n$value = ${data}\nSet-ItemProperty -Path $path -Name ${setting} -Value $value`];
      }
    });

/** Spellings of a dynamic port range change. */
const rangeWrite = (start: number, count: number) =>
  fc
    .record({
      netsh: fc.constantFrom(
        "netsh int ipv4 set dynamicport",
        "netsh interface ipv6 set dynamicportrange",
        "netsh in ip se dyn",
        "NETSH INT IPV4 SET DYNAMICPORTRANGE",
      ),
      tags: fc.constantFrom("start=%s num=%c", "startport=%s numberofports=%c", "protocol=tcp sta=%s numb=%c", "%s %c"),
      form: fc.constantFrom("cmd", "powershell", "Set-NetTCPSetting"),
    })
    .map(({ netsh, tags, form }): [Carrier, string] => {
      const args = tags.replace("%s", String(start)).replace("%c", String(count));
      const line = `${netsh} ${tags.startsWith("protocol") ? "" : "tcp "}${args}`;
      if (form === "cmd") return ["cse", line];
      if (form === "powershell") return ["run-command", `Write-Output 'tuning'\n${line}`];
      return ["run-command", `Set-NetTCPSetting -SettingName InternetCustom -DynamicPortRangeStartPort ${start} -DynamicPortRangeNumberOfPorts ${count}`];
    });

/** Values around every boundary, and anywhere in between. */
const around = (...edges: number[]) =>
  fc.oneof(fc.constantFrom(...edges.flatMap((e) => [e - 1, e, e + 1]).filter((n) => n >= 0)), fc.integer({ min: 0, max: 70000 }));

describe("script text: generated commands get the range rule's verdict", () => {
  it("TcpTimedWaitDelay and MaxUserPort in every spelling", async () => {
    const setting = fc.constantFrom("TcpTimedWaitDelay" as const, "MaxUserPort" as const);
    await fc.assert(
      fc.asyncProperty(
        setting.chain((s) =>
          (s === "TcpTimedWaitDelay" ? around(TWD.min, TWD.max) : around(MUP.min, MUP.max)).chain((v) => registryWrite(s, v).map((w) => ({ s, v, w }))),
        ),
        async ({ s, v, w: [carrier, text] }) => {
          const problem = s === "TcpTimedWaitDelay" ? tcpTimedWaitDelayProblem(v) : maxUserPortProblem(v);
          const { verdict, messages } = await verdictOf(resourceWith(carrier, text));
          assert.equal(verdict, problem === undefined ? "pass" : "reject", `${text}\n${messages.join("\n")}`);
        },
      ),
      { numRuns: 300 },
    );
  });
  it("the dynamic port range in every spelling", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc
          .tuple(around(START.min, START.max), around(COUNT.min, COUNT.max, HIGHEST_PORT - 10000 + 1))
          .chain(([start, count]) => rangeWrite(start, count).map((w) => ({ start, count, w }))),
        async ({ start, count, w: [carrier, text] }) => {
          const problems = dynamicPortRangeProblems(start, count);
          const { verdict, messages } = await verdictOf(resourceWith(carrier, text));
          assert.equal(verdict, problems.length === 0 ? "pass" : "reject", `${text}\n${messages.join("\n")}`);
        },
      ),
      { numRuns: 300 },
    );
  });
});
