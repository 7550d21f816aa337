/**
 * Acceptance: the repository packs (`npm pack`) into a tarball that another project installs and
 * uses. The tarball is installed, offline, into a new project outside the repository (with its
 * own Pulumi.yaml and package.json, as a consumer has); a program importing only the documented
 * entry points type-checks and runs under mocks, builds the expected resources, and reads its
 * guest content from inside the installed package. Prints the tarball's size.
 */
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { unzipSync } from "fflate";
import { REPO_ROOT } from "../support/stacks";
import { EXAMPLE_CONFIG } from "../support/examples";
import { type PackResult, installConsumer, packedModule, pinned } from "./installed";

const TSC = path.join(REPO_ROOT, "node_modules", "typescript", "bin", "tsc");

/** What may ship: compiled JavaScript and declarations, the guest content, the templates, the CLI entry and the manifest/docs npm always adds. */
const ALLOWED = [/^dist\/.*\.(js|d\.ts)$/, /^dist\/\.stamp$/, /^guest\/(modules|dsc|runcommand|collector)\//, /^templates\//, /^bin\/mailhost\.js$/, /^(package\.json|README\.md|CHANGELOG\.md|LICENSE)$/];
/** What must never ship. */
const FORBIDDEN = [/(^|\/)test\//, /(^|\/)bench\//, /(^|\/)experiments\//, /(^|\/)\.github\//, /(^|\/)examples\//, /(^|\/)Pulumi(\.[^/]+)?\.yaml$/, /\.test\.[jt]s$/, /\.Tests\.ps1$/, /^(?!.*\.d\.ts$).*\.ts$/];

interface ConsumerRun {
  packageDir: string;
  pulumiFromPackage: string; pulumiFromConsumer: string;
  azureNativeFromPackage: string; azureNativeFromConsumer: string;
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

  after(() => { fs.rmSync(work, { recursive: true, force: true }); });

  it("ships compiled JavaScript, declarations, guest content and templates, and no test, bench, experiment, workflow or stack file", (t) => {
    const size = `${packed.filename}: ${(packed.size / 1024).toFixed(1)} KiB packed, ${(packed.unpackedSize / 1024).toFixed(1)} KiB unpacked, ${packed.files.length} files`;
    t.diagnostic(size);
    console.log(`tarball ${size}`);
    const files = packed.files.map((f) => f.path);
    for (const file of files) {
      assert.ok(ALLOWED.some((re) => re.test(file)), `${file} is not something the package ships`);
      assert.ok(!FORBIDDEN.some((re) => re.test(file)), `${file} must not ship`);
    }
    for (const needed of ["dist/components/index.js", "dist/components/index.d.ts", "dist/domain/limits.js", "dist/domain/limits.d.ts", "guest/modules/MailhostTcpTuning/MailhostTcpTuning.psd1", "guest/runcommand/Set-MailhostTuning.ps1", "guest/collector/Get-MailhostState.ps1", "guest/dsc/MailhostTuning.ps1", "templates/SiteConfig.cfg"]) {
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
    for (const name of Object.keys(EXAMPLE_CONFIG)) fs.copyFileSync(path.join(REPO_ROOT, "examples", name, "index.ts"), path.join(consumer, "src", `${name}.ts`));
    fs.writeFileSync(path.join(consumer, "src", "dsc-existing.ts"), [
      'import { ExistingVmTuning, GuestContentStore } from "mailhost-iac";',
      'import { TCP_TIMED_WAIT_DELAY } from "mailhost-iac/limits";',
      'const store = new GuestContentStore("content", { resourceGroupName: "rg-mail", accountName: "stmailcontent002" });',
      'new ExistingVmTuning("vm", {',
      '  vmId: "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-mail/providers/Microsoft.Compute/virtualMachines/mailfe09",',
      '  tcp: { tuning: "dsc", tcpTimedWaitDelay: TCP_TIMED_WAIT_DELAY.max },',
      '  siteConfig: { mailboxCacheTtl: 3600 },',
      '  capacity: { activeSessionsPerHost: 1000, backendEndpoints: 1 },',
      '  store,',
      '});',
      "",
    ].join("\n"));
    fs.writeFileSync(path.join(consumer, "tsconfig.json"), JSON.stringify({
      compilerOptions: { target: "ES2022", module: "nodenext", moduleResolution: "nodenext", strict: true, outDir: "bin", rootDir: "src", types: ["node"], skipLibCheck: true },
      include: ["src/**/*.ts"],
    }, null, 2));
    try {
      execFileSync(process.execPath, [TSC, "-p", consumer], { cwd: consumer, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    } catch (err) {
      assert.fail(`the consumer program does not type-check:\n${(err as { stdout?: string }).stdout}`);
    }
    fs.copyFileSync(path.join(__dirname, "consumer-run.cjs"), path.join(consumer, "consumer-run.cjs"));

    const runProgram = (name: string, config: Record<string, unknown>): ConsumerRun => {
      const env = { ...process.env, CONSUMER_CONFIG: JSON.stringify(Object.fromEntries(Object.entries(config).map(([k, v]) => [k.replace(/^mailhost:/, "consumer:"), typeof v === "string" ? v : JSON.stringify(v)]))) };
      const out = execFileSync(process.execPath, ["consumer-run.cjs", path.join("bin", `${name}.js`)], { cwd: consumer, env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
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
      .map((f) => path.join(packageDir, "guest", f)).filter((f) => fs.statSync(f).isFile());
    const names = Object.keys(entries).filter((n) => !n.endsWith("/"));
    assert.ok(names.length > 1, names.join(", "));
    for (const name of names) {
      const bytes = Buffer.from(entries[name]);
      assert.ok(guestFiles.some((f) => path.basename(f) === path.basename(name) && fs.readFileSync(f).equals(bytes)), `${name} is a file of the installed package's guest/`);
    }
  });
});
