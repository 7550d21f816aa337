/**
 * Acceptance: the repository packs (`npm pack`) into a tarball that another project installs and
 * uses. The tarball is installed, offline, into a new project outside the repository (with its
 * own Pulumi.yaml and package.json, as a consumer has); a program importing only the documented
 * entry points type-checks and runs under mocks, builds the expected resources, and reads its
 * guest content from inside the installed package; a PolicyPack built from `mailhost-iac/policies`
 * (the example of docs/POLICIES-LIBRARY.md) runs over Pulumi's analyzer protocol, started and driven
 * as the Pulumi CLI does (engine/analyzer.ts). Prints the tarball's size.
 */
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { unzipSync } from "fflate";
import { REPO_ROOT } from "../../support/stacks";
import { EXAMPLE_CONFIG } from "../../support/examples";
import { type PackResult, installConsumer, packedModule, pinned } from "./installed";
import { type AnalyzedResource, type PolicyDiagnostic, PolicyPackProcess } from "../../../engine/analyzer";
import { stackConfigurationOf } from "../../../engine/policyCheck";
import { examplePackFiles } from "../../support/policiesDoc";

const TSC = path.join(REPO_ROOT, "node_modules", "typescript", "bin", "tsc");

/** What may ship: compiled JavaScript and declarations, the guest content, the templates, the CLI entry and the manifest/docs npm always adds. */
const ALLOWED = [
  /^dist\/.*\.(js|d\.ts)$/,
  /^dist\/\.stamp$/,
  /^guest\/(modules|dsc|runcommand|collector)\//,
  /^templates\//,
  /^bin\/mailhost\.js$/,
  /^(package\.json|README\.md|CHANGELOG\.md|LICENSE)$/,
];
/** What must never ship. */
const FORBIDDEN = [
  /(^|\/)test\//,
  /(^|\/)bench\//,
  /(^|\/)experiments\//,
  /(^|\/)\.github\//,
  /(^|\/)examples\//,
  /(^|\/)Pulumi(\.[^/]+)?\.yaml$/,
  /\.test\.[jt]s$/,
  /\.Tests\.ps1$/,
  /^(?!.*\.d\.ts$).*\.ts$/,
];

interface ConsumerRun {
  packageDir: string;
  pulumiFromPackage: string;
  pulumiFromConsumer: string;
  azureNativeFromPackage: string;
  azureNativeFromConsumer: string;
  resources: { type: string; name: string; inputs: any }[];
}

describe("the npm package, installed from its tarball into another project", { timeout: 600_000 }, () => {
  let work: string;
  let consumer: string;
  let packed: PackResult;
  let repoPackage: { name: string; version: string; peerDependencies: Record<string, string>; exports: Record<string, unknown> };

  let tarball: string;

  before(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), "mailhost-iac-pack-"));
    consumer = path.join(work, "consumer");
    repoPackage = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8"));
    ({ tarball, packed } = packedModule());
  });

  after(() => {
    fs.rmSync(work, { recursive: true, force: true });
  });

  it("ships compiled JavaScript, declarations, guest content and templates, and no test, bench, experiment, workflow or stack file", (t) => {
    const size = `${packed.filename}: ${(packed.size / 1024).toFixed(1)} KiB packed, ${(packed.unpackedSize / 1024).toFixed(1)} KiB unpacked, ${packed.files.length} files`;
    t.diagnostic(size);
    console.log(`tarball ${size}`);
    const files = packed.files.map((f) => f.path);
    for (const file of files) {
      assert.ok(
        ALLOWED.some((re) => re.test(file)),
        `${file} is not something the package ships`,
      );
      assert.ok(!FORBIDDEN.some((re) => re.test(file)), `${file} must not ship`);
    }
    for (const needed of [
      "dist/components/index.js",
      "dist/components/index.d.ts",
      "dist/domain/limits.js",
      "dist/domain/limits.d.ts",
      "dist/policies/library.js",
      "dist/policies/library.d.ts",
      "guest/modules/MailhostTcpTuning/MailhostTcpTuning.psd1",
      "guest/runcommand/Set-MailhostTuning.ps1",
      "guest/collector/Get-MailhostState.ps1",
      "guest/dsc/MailhostTuning.ps1",
      "templates/SiteConfig.cfg",
    ]) {
      assert.ok(files.includes(needed), `${needed} ships`);
    }
  });

  it("installs offline, type-checks a program on the documented entry points, runs it under mocks with one copy of the Pulumi SDKs and the guest content of the installed package", (t) => {
    fs.mkdirSync(path.join(consumer, "src"), { recursive: true });
    const dependencies = {
      "mailhost-iac": `file:${tarball}`,
      "@pulumi/pulumi": pinned("@pulumi/pulumi"),
      "@pulumi/azure-native": pinned("@pulumi/azure-native"),
      "@types/node": pinned("@types/node"),
      // For the team's own policy pack (docs/POLICIES-LIBRARY.md): the policy SDK, and TypeScript for the CLI to compile it.
      "@pulumi/policy": pinned("@pulumi/policy"),
      typescript: pinned("typescript"),
    };
    // A consumer's own Pulumi project: the old guest-content lookup would have stopped here.
    fs.writeFileSync(path.join(consumer, "Pulumi.yaml"), "name: consumer\nruntime: nodejs\n");
    const started = Date.now();
    installConsumer(consumer, dependencies);
    t.diagnostic(`npm install: ${((Date.now() - started) / 1000).toFixed(1)} s`);

    // The peers are satisfied by the consumer's copies, and the package brings no copy of its own.
    const installed = JSON.parse(fs.readFileSync(path.join(consumer, "node_modules", "mailhost-iac", "package.json"), "utf8"));
    assert.deepEqual(Object.keys(installed.peerDependencies).sort(), ["@pulumi/azure-native", "@pulumi/pulumi"]);
    assert.ok(!fs.existsSync(path.join(consumer, "node_modules", "mailhost-iac", "node_modules", "@pulumi")), "no nested @pulumi copy");
    assert.deepEqual(Object.keys(installed.exports).sort(), Object.keys(repoPackage.exports).sort());

    // The examples, as a consumer would write them: only "mailhost-iac" and "mailhost-iac/limits".
    for (const name of Object.keys(EXAMPLE_CONFIG))
      fs.copyFileSync(path.join(REPO_ROOT, "examples", name, "index.ts"), path.join(consumer, "src", `${name}.ts`));
    fs.writeFileSync(
      path.join(consumer, "src", "dsc-existing.ts"),
      [
        'import { ExistingVmTuning, GuestContentStore } from "mailhost-iac";',
        'import { TCP_TIMED_WAIT_DELAY } from "mailhost-iac/limits";',
        'const store = new GuestContentStore("content", { resourceGroupName: "rg-mail", accountName: "stmailcontent002" });',
        'new ExistingVmTuning("vm", {',
        '  vmId: "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-mail/providers/Microsoft.Compute/virtualMachines/mailfe09",',
        '  tcp: { tuning: "dsc", tcpTimedWaitDelay: TCP_TIMED_WAIT_DELAY.max },',
        "  siteConfig: { mailboxCacheTtl: 3600 },",
        "  capacity: { activeSessionsPerHost: 1000, backendEndpoints: 1 },",
        "  store,",
        "});",
        "",
      ].join("\n"),
    );
    fs.writeFileSync(
      path.join(consumer, "tsconfig.json"),
      JSON.stringify(
        {
          compilerOptions: {
            target: "ES2022",
            module: "nodenext",
            moduleResolution: "nodenext",
            strict: true,
            outDir: "bin",
            rootDir: "src",
            types: ["node"],
            skipLibCheck: true,
          },
          include: ["src/**/*.ts"],
        },
        null,
        2,
      ),
    );
    try {
      execFileSync(process.execPath, [TSC, "-p", consumer], { cwd: consumer, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    } catch (err) {
      assert.fail(`the consumer program does not type-check:\n${(err as { stdout?: string }).stdout}`);
    }
    fs.copyFileSync(path.join(__dirname, "consumer-run.cjs"), path.join(consumer, "consumer-run.cjs"));

    const runProgram = (name: string, config: Record<string, unknown>): ConsumerRun => {
      const env = {
        ...process.env,
        CONSUMER_CONFIG: JSON.stringify(
          Object.fromEntries(Object.entries(config).map(([k, v]) => [k.replace(/^mailhost:/, "consumer:"), typeof v === "string" ? v : JSON.stringify(v)])),
        ),
      };
      const out = execFileSync(process.execPath, ["consumer-run.cjs", path.join("bin", `${name}.js`)], {
        cwd: consumer,
        env,
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
      });
      return JSON.parse(out) as ConsumerRun;
    };
    const count = (run: ConsumerRun, type: string) => run.resources.filter((r) => r.type === type).length;

    const fleet = runProgram("new-fleet", EXAMPLE_CONFIG["new-fleet"]);
    const packageDir = fs.realpathSync(path.join(consumer, "node_modules", "mailhost-iac"));
    assert.equal(fs.realpathSync(fleet.packageDir), packageDir);
    assert.equal(fleet.pulumiFromPackage, fleet.pulumiFromConsumer, "one @pulumi/pulumi");
    assert.equal(fleet.azureNativeFromPackage, fleet.azureNativeFromConsumer, "one @pulumi/azure-native");
    assert.equal(count(fleet, "mailhost:azure:MailhostFleet"), 1);
    assert.equal(count(fleet, "azure-native:compute:VirtualMachine"), 2);
    assert.equal(count(fleet, "azure-native:guestconfiguration:GuestConfigurationAssignment"), 2);
    assert.equal(count(fleet, "azure-native:monitor:DataCollectionRule"), 1);

    const existing = runProgram("existing-vms", EXAMPLE_CONFIG["existing-vms"]);
    assert.equal(count(existing, "azure-native:compute:VirtualMachine"), 0);
    assert.equal(count(existing, "azure-native:guestconfiguration:GuestConfigurationAssignment"), 2);
    assert.equal(count(existing, "azure-native:compute:VirtualMachineRunCommandByVirtualMachine"), 1);
    assert.equal(count(existing, "azure-native:monitor:DataCollectionRuleAssociation"), 3);
    // The run command carries the tuning script of the installed package.
    const runCommand = existing.resources.find((r) => r.type === "azure-native:compute:VirtualMachineRunCommandByVirtualMachine")!;
    const entry = fs.readFileSync(path.join(packageDir, "guest", "runcommand", "Set-MailhostTuning.ps1"), "utf8");
    const firstLine = entry.split(/\r?\n/).find((l) => l.trim() !== "")!;
    assert.ok(String(runCommand.inputs.source.script).includes(firstLine));

    // The DSC archive is made of the installed package's guest files: every file in the zip is,
    // byte for byte, a file of node_modules/mailhost-iac/guest.
    const dsc = runProgram("dsc-existing", {});
    const archive = dsc.resources.find((r) => r.type === "azure-native:storage:Blob")!;
    const zipPath = archive.inputs.source?.asset?.path as string;
    assert.ok(zipPath !== undefined && fs.existsSync(zipPath), JSON.stringify(archive.inputs.source));
    const entries = unzipSync(fs.readFileSync(zipPath));
    const guestFiles = (fs.readdirSync(path.join(packageDir, "guest"), { recursive: true, encoding: "utf8" }) as string[])
      .map((f) => path.join(packageDir, "guest", f))
      .filter((f) => fs.statSync(f).isFile());
    const names = Object.keys(entries).filter((n) => !n.endsWith("/"));
    assert.ok(names.length > 1, names.join(", "));
    for (const name of names) {
      const bytes = Buffer.from(entries[name]);
      assert.ok(
        guestFiles.some((f) => path.basename(f) === path.basename(name) && fs.readFileSync(f).equals(bytes)),
        `${name} is a file of the installed package's guest/`,
      );
    }
  });
  it("runs a team's own PolicyPack built from mailhost-iac/policies (the doc's example) over the analyzer protocol, from the installed package alone", async (t) => {
    assert.ok(fs.existsSync(path.join(consumer, "node_modules", "mailhost-iac")), "the consumer is installed (previous test)");
    // The pack exactly as docs/POLICIES-LIBRARY.md shows it, in the consumer project; its dependencies
    // resolve from the consumer's node_modules (the installed tarball), nothing from this repository.
    const packDir = path.join(consumer, "guardrails");
    for (const [name, content] of Object.entries(examplePackFiles(fs.readFileSync(path.join(REPO_ROOT, "docs", "POLICIES-LIBRARY.md"), "utf8")))) {
      fs.mkdirSync(path.dirname(path.join(packDir, name)), { recursive: true });
      fs.writeFileSync(path.join(packDir, name), content);
    }
    // Resolved by a plain node in the pack's folder (this test process maps the name to the source through tsconfig paths).
    const library = execFileSync(process.execPath, ["-p", 'require.resolve("mailhost-iac/policies")'], { cwd: packDir, encoding: "utf8" }).trim();
    assert.equal(fs.realpathSync(library), fs.realpathSync(path.join(consumer, "node_modules", "mailhost-iac", "dist", "policies", "library.js")));
    // The stack the CLI would describe: the consumer's project, with its load where the module's config loader reads it.
    const stack = stackConfigurationOf("dev", { "consumer:capacity": JSON.stringify({ activeSessionsPerHost: 40000, backendEndpoints: 1 }) }, [], "consumer");
    const started = Date.now();
    const pack = await PolicyPackProcess.start(packDir, { stack, startTimeoutMs: 180_000 });
    try {
      t.diagnostic(`pack start: ${((Date.now() - started) / 1000).toFixed(1)} s`);
      const info = await pack.getAnalyzerInfo();
      assert.equal(info.name, "mail-team-guardrails");
      const levelOf = (name: string) => info.policies.find((p) => p.name === name)?.enforcementLevel;
      // The options of the doc's index.ts: one rule up, one disabled; the team's own rule beside them.
      assert.equal(levelOf("mailhost-max-user-port-recommended"), "mandatory");
      assert.equal(levelOf("mailhost-nat-gateway-alerts"), "disabled");
      assert.equal(levelOf("mailhost-tcp-timed-wait-delay-range"), "mandatory");
      assert.equal(levelOf("mail-team-vm-size"), "mandatory");
      await pack.configure(JSON.parse(fs.readFileSync(path.join(packDir, "config", "dev.json"), "utf8")));

      // A hand-written tuning resource out of range: rejected by the library's rule, by its name.
      const handWritten: AnalyzedResource = {
        type: "azure-native:compute:VirtualMachineExtension",
        name: "hand-written-dsc",
        properties: {
          resourceGroupName: "rg-mail",
          vmName: "vm-legacy-01",
          publisher: "Microsoft.Powershell",
          type: "DSC",
          typeHandlerVersion: "2.83",
          settings: { configurationArguments: { TcpTimedWaitDelay: 301, MaxUserPort: 40000 } },
        },
      };
      const ds = await pack.analyze(handWritten);
      const by = (name: string) => ds.filter((d: PolicyDiagnostic) => d.policyName === name).map((d) => d.enforcementLevel);
      assert.deepEqual(by("mailhost-tcp-timed-wait-delay-range"), ["mandatory"]);
      assert.deepEqual(by("mailhost-max-user-port-recommended"), ["mandatory"]);
      // The script-text rule reads the installed package's own guest script (by its hash): it ran without error.
      const script = await pack.analyze({
        type: "azure-native:compute:VirtualMachineExtension",
        name: "cse",
        properties: {
          resourceGroupName: "rg-mail",
          vmName: "vm-legacy-01",
          publisher: "Microsoft.Compute",
          type: "CustomScriptExtension",
          typeHandlerVersion: "1.10",
          settings: { commandToExecute: "reg add HKLM\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters /v TcpTimedWaitDelay /t REG_DWORD /d 500 /f" },
        },
      });
      assert.deepEqual(
        script.filter((d) => d.policyName === "mailhost-script-tuning-range").map((d) => d.enforcementLevel),
        ["mandatory"],
      );
      // The team's own rule, at the level dev's policy config gives it.
      const vm = await pack.analyze({
        type: "azure-native:compute:VirtualMachine",
        name: "vm",
        properties: { resourceGroupName: "rg-mail", hardwareProfile: { vmSize: "Standard_B2ms" } },
      });
      assert.deepEqual(
        vm.filter((d) => d.policyName === "mail-team-vm-size").map((d) => d.enforcementLevel),
        ["advisory"],
      );

      // The load comes from the stack's config: the capacity rule checks a host against it (mandatory by default; dev's config: advisory).
      const vmUrn = "urn:pulumi:dev::consumer::azure-native:compute:VirtualMachine::vm-legacy-01";
      const tuned = (ttl: number): AnalyzedResource[] => [
        { type: "azure-native:compute:VirtualMachine", name: "vm-legacy-01", urn: vmUrn, properties: { resourceGroupName: "rg-mail", vmName: "vm-legacy-01" } },
        {
          type: "azure-native:compute:VirtualMachineExtension",
          name: "tuning",
          urn: "urn:pulumi:dev::consumer::azure-native:compute:VirtualMachineExtension::tuning",
          dependencies: [vmUrn],
          properties: {
            resourceGroupName: "rg-mail",
            vmName: "vm-legacy-01",
            publisher: "Microsoft.Powershell",
            type: "DSC",
            typeHandlerVersion: "2.83",
            settings: {
              configurationArguments: {
                TcpTimedWaitDelay: 30,
                MaxUserPort: 65534,
                DynamicPortRangeStartPort: 10000,
                DynamicPortRangeNumberOfPorts: 55535,
                SiteConfigContentBase64Url: Buffer.from(`[Cache]\nMailboxCacheTTL = ${ttl}\n`).toString("base64url"),
              },
            },
          },
        },
      ];
      const capacity = (found: PolicyDiagnostic[]) => found.filter((d) => d.policyName === "mailhost-capacity-sustains-load");
      const short = capacity(await pack.analyzeStack(tuned(20)));
      assert.equal(short.length, 1, JSON.stringify(short));
      assert.equal(short[0].enforcementLevel, "advisory");
      assert.match(short[0].message, /40000 sessions .*\(Load from the stack's consumer:capacity\.\)/);
      assert.deepEqual(capacity(await pack.analyzeStack(tuned(3600))), []);
    } finally {
      await pack.close();
    }
  });
});
