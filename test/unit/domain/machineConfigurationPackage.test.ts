import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as path from "node:path";
import { strFromU8, unzipSync } from "fflate";
import { requireStackConfig } from "../../../domain/config";
import { fromBase64Url } from "../../../domain/guestEncoding";
import { MAILHOST_TCP_TUNING } from "../../../domain/machineConfiguration";
import { buildMachineConfigurationPackage, metaconfigJson, moduleFileProblems } from "../../../domain/machineConfigurationPackage";
import { readModuleFolder } from "../../../content/moduleFolder";
import { tuningMof } from "../../../domain/mof";
import { planFleet } from "../../../domain/plan";
import { loadSiteConfigTemplate } from "../../../content/siteConfigTemplate";
import { readMof } from "../../support/mofReader";

const FIXTURE_MODULE = path.join(__dirname, "..", "..", "fixtures", "MailhostTcpTuningModule");
const moduleFiles = readModuleFolder(FIXTURE_MODULE);

const planFor = (maxUserPort: number) =>
  planFleet(
    "pkg",
    requireStackConfig({
      fleet: { hostCount: 1, vmSize: "Standard_D4s_v5", adminUsername: "mailops", allowedImapCidrs: ["10.0.0.0/8"] },
      tcp: { tuning: "machineConfiguration", maxUserPort },
      siteConfig: { mailboxCacheTtl: 900 },
      capacity: { activeSessionsPerHost: 1000, backendEndpoints: 2 },
    }),
    loadSiteConfigTemplate(),
  );
const plan = planFor(65534);
const name = MAILHOST_TCP_TUNING.configurationName;

describe("Machine Configuration package", () => {
  it("reads every file of the module folder, sorted, with / separators", () => {
    assert.deepEqual(
      moduleFiles.map((f) => f.path),
      ["MailhostTcpTuning.psd1", "MailhostTcpTuning.psm1", "Private/Helpers.ps1"],
    );
  });

  it("is byte-identical when built twice from the same plan and files, and its hash is the upper-case SHA-256 of the bytes", () => {
    const a = buildMachineConfigurationPackage(plan.tuning, moduleFiles);
    const b = buildMachineConfigurationPackage(plan.tuning, readModuleFolder(FIXTURE_MODULE));
    assert.ok(Buffer.from(a.bytes).equals(Buffer.from(b.bytes)));
    assert.equal(a.sha256Upper, createHash("sha256").update(a.bytes).digest("hex").toUpperCase());
    assert.match(a.sha256Upper, /^[0-9A-F]{64}$/);
    assert.equal(a.fileName, `${name}.zip`);
    assert.equal(a.blobName, `${name}-${a.sha256Upper}.zip`, "published under a name that carries the hash");
    // The order in which files are handed over does not matter.
    const c = buildMachineConfigurationPackage(plan.tuning, [...moduleFiles].reverse());
    assert.equal(c.sha256Upper, a.sha256Upper);
  });

  it("is byte-identical in another time zone and another process (entry dates are fixed)", () => {
    const script = `const { buildMachineConfigurationPackage } = require(${JSON.stringify(path.join(__dirname, "..", "..", "..", "domain", "machineConfigurationPackage"))});
const { readModuleFolder } = require(${JSON.stringify(path.join(__dirname, "..", "..", "..", "content", "moduleFolder"))});
const { planFleet } = require(${JSON.stringify(path.join(__dirname, "..", "..", "..", "domain", "plan"))});
const { requireStackConfig } = require(${JSON.stringify(path.join(__dirname, "..", "..", "..", "domain", "config"))});
const { loadSiteConfigTemplate } = require(${JSON.stringify(path.join(__dirname, "..", "..", "..", "content", "siteConfigTemplate"))});
const plan = planFleet("pkg", requireStackConfig(${JSON.stringify({
      fleet: { hostCount: 1, vmSize: "Standard_D4s_v5", adminUsername: "mailops", allowedImapCidrs: ["10.0.0.0/8"] },
      tcp: { tuning: "machineConfiguration", maxUserPort: 65534 },
      siteConfig: { mailboxCacheTtl: 900 },
      capacity: { activeSessionsPerHost: 1000, backendEndpoints: 2 },
    })}), loadSiteConfigTemplate());
process.stdout.write(buildMachineConfigurationPackage(plan.tuning, readModuleFolder(${JSON.stringify(FIXTURE_MODULE)})).sha256Upper);`;
    const hashIn = (tz: string) => execFileSync(process.execPath, ["--import", "tsx", "-e", script], { env: { ...process.env, TZ: tz }, encoding: "utf8" });
    const here = buildMachineConfigurationPackage(plan.tuning, moduleFiles).sha256Upper;
    assert.equal(hashIn("Pacific/Kiritimati"), here);
    assert.equal(hashIn("America/Los_Angeles"), here);
  });

  it("holds at its root exactly the MOF, the metaconfig and Modules/, and the module's files under Modules/<Module>/", () => {
    const pkg = buildMachineConfigurationPackage(plan.tuning, moduleFiles);
    const entries = unzipSync(pkg.bytes);
    const names = Object.keys(entries).sort();
    assert.deepEqual(
      [...new Set(names.map((n) => n.split("/")[0] + (n.includes("/") ? "/" : "")))].sort(),
      [`${name}.metaconfig.json`, `${name}.mof`, "Modules/"].sort(),
    );
    assert.deepEqual(
      names.filter((n) => !n.endsWith("/") && n.startsWith("Modules/")),
      moduleFiles.map((f) => `Modules/${MAILHOST_TCP_TUNING.moduleName}/${f.path}`),
    );
    for (const f of moduleFiles) assert.ok(Buffer.from(entries[`Modules/${MAILHOST_TCP_TUNING.moduleName}/${f.path}`]).equals(Buffer.from(f.bytes)), f.path);
    assert.ok(
      names.every((n) => !n.includes("\\")),
      "forward slashes only",
    );
    assert.equal(strFromU8(entries[`${name}.mof`]), tuningMof(plan.tuning));
    assert.deepEqual(JSON.parse(strFromU8(entries[`${name}.metaconfig.json`])), { Type: "AuditAndSet", Version: MAILHOST_TCP_TUNING.packageVersion });
    assert.equal(strFromU8(entries[`${name}.metaconfig.json`]), metaconfigJson());
    assert.ok(/^[\x20-\x7e\r\n]*$/.test(metaconfigJson()), "ASCII, no BOM");
  });

  it("names our resource and module in the MOF with the plan's values, and changes its hash when a value changes", () => {
    const pkg = buildMachineConfigurationPackage(plan.tuning, moduleFiles);
    const [instance] = readMof(strFromU8(unzipSync(pkg.bytes)[`${name}.mof`]));
    const props = Object.fromEntries(instance.properties);
    assert.equal(instance.className, MAILHOST_TCP_TUNING.className);
    assert.equal(props.ModuleName, MAILHOST_TCP_TUNING.moduleName);
    assert.equal(props.MaxUserPort, String(plan.tuning.maxUserPort));
    assert.equal(fromBase64Url(String(props.SiteConfigContentBase64Url)), plan.tuning.siteConfigContent);
    const other = planFor(60000);
    assert.notEqual(buildMachineConfigurationPackage(other.tuning, moduleFiles).sha256Upper, pkg.sha256Upper);
  });

  it("refuses a module without its manifest, with another ModuleVersion, without its root module, or with an unsafe path, naming each problem", () => {
    const [manifest, ...rest] = moduleFiles;
    assert.throws(() => buildMachineConfigurationPackage(plan.tuning, rest), /no manifest MailhostTcpTuning\.psd1 at its root/);
    const wrongVersion = { path: manifest.path, bytes: Buffer.from("@{ ModuleVersion = '2.0.0' }") };
    assert.throws(() => buildMachineConfigurationPackage(plan.tuning, [wrongVersion, ...rest]), /ModuleVersion "2\.0\.0", but the MOF names 1\.0\.0/);
    const rootModule = moduleFiles.find((f) => f.path.endsWith(".psm1"))!;
    assert.deepEqual(moduleFileProblems([manifest]), [
      `MailhostTcpTuning.psd1 names RootModule ${JSON.stringify(rootModule.path)}, which is not among the module's files`,
    ]);
    assert.deepEqual(
      moduleFileProblems([manifest, rootModule, { path: "..\\evil.ps1", bytes: new Uint8Array() }, { path: "../x.ps1", bytes: new Uint8Array() }]),
      ['module file "..\\\\evil.ps1" is not a relative ASCII path with / separators', 'module file "../x.ps1" is not a relative ASCII path with / separators'],
    );
  });

  it("packages the real module folder of the repository (whatever files it holds)", () => {
    const real = readModuleFolder(path.join(__dirname, "..", "..", "..", "guest", "modules", MAILHOST_TCP_TUNING.moduleName));
    const pkg = buildMachineConfigurationPackage(plan.tuning, real);
    assert.deepEqual(
      Object.keys(unzipSync(pkg.bytes)).filter((n) => !n.endsWith("/") && n.startsWith("Modules/")),
      real.map((f) => `Modules/${MAILHOST_TCP_TUNING.moduleName}/${f.path}`),
    );
  });
});
