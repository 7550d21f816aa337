/**
 * Content checked by hash is published at an address derived from the hash and is never deleted
 * by the update that publishes its successor, and every mechanism's re-apply
 * trigger follows what reaches its hosts (part 2), on the committed stacks under mocks:
 * dev tunes by Run Command, staging by DSC, prod by Machine Configuration.
 *
 * Two runs of each stack differ in one tuned value (TcpTimedWaitDelay). A third part changes a
 * guest module file in a temporary copy of guest/ and publishes the DSC archive from it.
 */
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { unzipSync } from "fflate";
import { MailSite } from "../../../components/MailSite";
import { PUBLISHED_CONTENT_OPTIONS } from "../../../components/publishedContent";
import { WindowsMailHost } from "../../../components/WindowsMailHost";
import { DSC_EXTENSION_NAME } from "../../../components/DscTuning";
import { GUEST_DIR, GUEST_MODULE, buildDscArchive, dscArchiveEntries, guestModuleFiles } from "../../../components/guestScripts";
import { TCP_TIMED_WAIT_DELAY } from "../../../domain/limits";
import { CONTENT_HASH_PARAMETER, siteNames } from "../../../domain/plan";
import { type OfflineRun, type RecordedResource, runOffline } from "../../../engine/offline";
import { runStack, stackConfigWithSecret, stackFileConfig, withValue } from "../../support/stacks";
import { minimalPlan } from "../../support/stackConfigs";

const BLOB = "azure-native:storage:Blob";
const EXTENSION = "azure-native:compute:VirtualMachineExtension";
const RUN_COMMAND = "azure-native:compute:VirtualMachineRunCommandByVirtualMachine";
const GC_ASSIGNMENT = "azure-native:guestconfiguration:GuestConfigurationAssignment";
const byType = (run: OfflineRun, type: string): RecordedResource[] => run.resources.filter((r) => r.type === type);
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** The stack's TcpTimedWaitDelay moved by one second, staying inside its range. */
function otherDelay(stack: string): number {
  const current = (stackFileConfig(stack)["mailhost:tcp"] as { tcpTimedWaitDelay: number }).tcpTimedWaitDelay;
  return current < TCP_TIMED_WAIT_DELAY.max ? current + 1 : current - 1;
}

/** Both runs of a stack: as committed, and with one tuned value changed. */
async function twoPlans(stack: string): Promise<[OfflineRun, OfflineRun]> {
  const a = await runStack(stack);
  const b = await runStack(stack, withValue(stackConfigWithSecret(stack), "mailhost:tcp", "tcpTimedWaitDelay", otherDelay(stack)));
  return [a, b];
}

async function blobBytes(blob: RecordedResource): Promise<Uint8Array> {
  const source = blob.inputs.source as pulumi.asset.FileAsset;
  assert.ok(source !== undefined && (await source.path) !== undefined, `${blob.name} is uploaded from a file of exact bytes`);
  return fs.readFileSync(await source.path);
}

/** Every published blob: named by the hash of its bytes, kept by the update that replaces it, created before the old one goes. */
async function assertContentAddressed(run: OfflineRun): Promise<void> {
  const blobs = byType(run, BLOB);
  assert.ok(blobs.length > 0);
  for (const blob of blobs) {
    const bytes = await blobBytes(blob);
    const name = String(blob.inputs.blobName);
    assert.ok(name.toLowerCase().includes(sha256(bytes)), `${blob.name}: blob ${name} carries the SHA-256 of its bytes`);
    assert.equal(blob.retainOnDelete, true, `${blob.name}: retainOnDelete, so no update deletes a published package`);
    assert.equal(blob.deleteBeforeReplace, false, `${blob.name}: never deleted before its successor exists`);
  }
}

describe("Machine Configuration (prod): one tuned value changes contentUri and contentHash together", () => {
  let a: OfflineRun;
  let b: OfflineRun;
  before(async () => {
    [a, b] = await twoPlans("prod");
  });

  it("every assignment of the second plan names another package at another address", () => {
    const gc = (run: OfflineRun) =>
      byType(run, GC_ASSIGNMENT).map((r) => (r.inputs as any).properties.guestConfiguration as { contentUri: string; contentHash: string });
    const [before, after] = [gc(a), gc(b)];
    assert.equal(before.length, after.length);
    assert.ok(before.length > 0);
    for (let i = 0; i < before.length; i++) {
      assert.notEqual(after[i].contentHash, before[i].contentHash);
      assert.notEqual(after[i].contentUri, before[i].contentUri);
      for (const x of [before[i], after[i]]) assert.ok(x.contentUri.endsWith(`-${x.contentHash}.zip`), `${x.contentUri} carries ${x.contentHash}`);
    }
  });

  it("the package blob of each run holds the bytes its assignments pin, under its own name", async () => {
    for (const run of [a, b]) {
      const [blob] = byType(run, BLOB);
      const hash = sha256(await blobBytes(blob)).toUpperCase();
      for (const r of byType(run, GC_ASSIGNMENT)) {
        const gc = (r.inputs as any).properties.guestConfiguration;
        assert.equal(gc.contentHash, hash);
        assert.ok(String(gc.contentUri).endsWith(`/${String(blob.inputs.blobName)}`));
      }
    }
    assert.notEqual(byType(a, BLOB)[0].inputs.blobName, byType(b, BLOB)[0].inputs.blobName);
  });

  it("the blob that holds the first package is registered to be kept: the update to the second never deletes it", async () => {
    // Pulumi applies the options recorded with the old resource when it replaces it (pulumi/pulumi#13428):
    // the first run's retainOnDelete decides the fate of the first package.
    const [first] = byType(a, BLOB);
    assert.equal(first.retainOnDelete, true);
    assert.equal(first.deleteBeforeReplace, false);
    assert.deepEqual({ retainOnDelete: first.retainOnDelete, deleteBeforeReplace: first.deleteBeforeReplace }, { ...PUBLISHED_CONTENT_OPTIONS });
    await assertContentAddressed(a);
    await assertContentAddressed(b);
  });
});

describe("DSC (staging): one tuned value changes the trigger, not the archive's address", () => {
  let a: OfflineRun;
  let b: OfflineRun;
  before(async () => {
    [a, b] = await twoPlans("staging");
  });

  const tags = (run: OfflineRun) =>
    byType(run, EXTENSION)
      .filter((e) => e.inputs.vmExtensionName === DSC_EXTENSION_NAME)
      .map((e) => String(e.inputs.forceUpdateTag));

  it("every DSC extension of the second plan has another forceUpdateTag", () => {
    const [before, after] = [tags(a), tags(b)];
    assert.ok(before.length > 0);
    assert.equal(before.length, after.length);
    for (let i = 0; i < before.length; i++) assert.notEqual(after[i], before[i]);
  });

  it("the archive holds no tuned value, so its address stays; the extensions read it at that address", async () => {
    const [archiveA] = byType(a, BLOB);
    const [archiveB] = byType(b, BLOB);
    assert.equal(archiveB.inputs.blobName, archiveA.inputs.blobName);
    const names = Object.keys(unzipSync(await blobBytes(archiveA)))
      .filter((n) => !n.endsWith("/"))
      .sort();
    assert.deepEqual(
      names,
      dscArchiveEntries()
        .map((e) => e.name)
        .sort(),
    );
    for (const e of byType(a, EXTENSION).filter((x) => x.inputs.vmExtensionName === DSC_EXTENSION_NAME)) {
      assert.ok(String((e.inputs as any).settings.configuration.url).endsWith(`/${String(archiveA.inputs.blobName)}`));
    }
    await assertContentAddressed(a);
    await assertContentAddressed(b);
  });
});

describe("Run Command (dev): one tuned value changes the ContentHash parameter", () => {
  it("every run command of the second plan has another ContentHash", async () => {
    const [a, b] = await twoPlans("dev");
    const hashes = (run: OfflineRun) =>
      byType(run, RUN_COMMAND).map(
        (r) => (r.inputs.parameters as Array<{ name: string; value: string }>).find((p) => p.name === CONTENT_HASH_PARAMETER)!.value,
      );
    const [before, after] = [hashes(a), hashes(b)];
    assert.ok(before.length > 0);
    for (let i = 0; i < before.length; i++) assert.notEqual(after[i], before[i]);
    assert.equal(byType(a, BLOB).length, 0, "Run Command publishes nothing: the script travels inline");
  });
});

describe("a changed guest module file gives a new DSC archive address and a new trigger", () => {
  const plan = minimalPlan("dsc");
  let scratch: string;
  before(() => {
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), "mailhost-archive-"));
  });
  after(() => fs.rmSync(scratch, { recursive: true, force: true }));

  /** Site and one DSC host wired as index.ts wires them, publishing the archive built from `root`. */
  async function publish(root: string): Promise<{ blob: RecordedResource; tag: string }> {
    const run = await runOffline(
      async () => {
        const site = new MailSite("mailhost", {
          names: siteNames("unit"),
          addressPrefix: "10.0.0.0/24",
          publishDscArchive: true,
          dscArchive: buildDscArchive(root),
        });
        new WindowsMailHost(
          plan.hosts[0].name,
          {
            resourceGroupName: site.resourceGroup.name,
            subnetId: site.subnet.id,
            host: plan.hosts[0],
            vmSize: "Standard_D2s_v5",
            adminUsername: "mailops",
            adminPassword: pulumi.secret("Unit-Test-Passw0rd!"),
            tuning: plan.tuning,
            dscArchive: site.dscArchive,
          },
          { parent: site },
        );
      },
      "unit",
      {},
    );
    const [blob] = byType(run, BLOB);
    const [extension] = byType(run, EXTENSION).filter((e) => e.inputs.vmExtensionName === DSC_EXTENSION_NAME);
    await assertContentAddressed(run);
    return { blob, tag: String(extension.inputs.forceUpdateTag) };
  }

  // Each kind of module file through the whole program: the files at the module's root, and the
  // first function file of Private/ and of Public/ (one function per file). Every single file of
  // the folder, each function file included, is changed in test/unit/components/triggers.test.ts, which reads
  // the archive and the trigger without running the program 70 times.
  const files = guestModuleFiles().map((entry) => entry.name);
  const cases = [...files.filter((name) => !name.includes("/")), ...["Private/", "Public/"].map((folder) => files.find((name) => name.startsWith(folder))!)];
  it("covers the module's root files and both function folders", () => {
    assert.deepEqual(cases.filter((name) => !name.includes("/")).sort(), ["Limits.psd1", `${GUEST_MODULE.name}.psd1`, `${GUEST_MODULE.name}.psm1`]);
    assert.ok(cases.every((name) => name !== undefined && files.includes(name)));
    assert.equal(cases.length, 5);
  });

  let original: { blob: RecordedResource; tag: string } | undefined;
  for (const file of cases) {
    it(`${file}`, async () => {
      original ??= await publish(GUEST_DIR);
      const root = path.join(scratch, file);
      fs.cpSync(GUEST_DIR, root, { recursive: true });
      const target = path.join(root, path.relative(GUEST_DIR, GUEST_MODULE.dir), file);
      fs.appendFileSync(target, "\r\n# a fix inside the module\r\n");
      const changed = await publish(root);
      assert.notEqual(changed.blob.inputs.blobName, original.blob.inputs.blobName, "a new address");
      assert.notEqual(changed.tag, original.tag, "a new forceUpdateTag");
      // The changed file is inside the archive at the new address.
      const entries = unzipSync(await blobBytes(changed.blob));
      assert.equal(Buffer.from(entries[`${GUEST_MODULE.name}/${file}`]).toString("utf8"), fs.readFileSync(target, "utf8"));
    });
  }
});
