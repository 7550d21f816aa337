/**
 * Re-apply triggers cover exactly what reaches each mechanism's hosts.
 *
 * Every file under guest/ is changed in turn in a temporary copy of the folder (a line appended;
 * for each function file of the module also one line inside its function), and every value the
 * tuning passes is changed in turn. For each mechanism the expectation comes from what actually
 * ships to its hosts, read back from the shipped artefact: the entries of the DSC archive zip, the
 * entries of the Machine Configuration package zip, the run-command script text, and the
 * arguments. The trigger (DSC `forceUpdateTag`, Machine Configuration `contentHash`, run-command
 * `ContentHash`) must change if and only if that shipped content changed.
 */
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { unzipSync } from "fflate";
import { dscTrigger, machineConfigurationPackageFor, runCommandContent } from "../../../components/guestContent";
import { GUEST_DIR, GUEST_MODULE, buildDscArchive, guestModuleFunctions } from "../../../components/guestScripts";
import { type TuningPlan, tuningArguments } from "../../../domain/plan";
import { minimalPlan } from "../../support/stackConfigs";

const tuning = minimalPlan("dsc").tuning;

type Mechanism = "dsc" | "runCommand" | "machineConfiguration";
const MECHANISMS: readonly Mechanism[] = ["dsc", "runCommand", "machineConfiguration"];

/** What ships to a mechanism's hosts, as comparable text, and its trigger. */
interface Shipped {
  readonly content: string;
  readonly trigger: string;
}

/** Entries of a zip as `path sha-of-bytes` lines: what a host unpacks. */
function zipEntries(bytes: Uint8Array): string {
  return Object.entries(unzipSync(bytes))
    .map(([name, data]) => `${name} ${Buffer.from(data).toString("base64")}`)
    .sort()
    .join("\n");
}

/** Reads what every mechanism ships for a plan from the guest folder `root`. */
function shipped(plan: TuningPlan, root: string): Record<Mechanism, Shipped> {
  const args = JSON.stringify(tuningArguments(plan));
  const archive = buildDscArchive(root);
  const runCommand = runCommandContent(plan, root);
  const pkg = machineConfigurationPackageFor(plan, root);
  return {
    dsc: { content: `${zipEntries(archive.bytes)}\n${args}`, trigger: dscTrigger(plan, archive) },
    runCommand: { content: `${runCommand.script}\n${JSON.stringify(runCommand.parameters.slice(0, -1))}`, trigger: runCommand.trigger },
    // The assignment parameters carry the same values as the MOF inside the package.
    machineConfiguration: { content: zipEntries(pkg.bytes), trigger: pkg.sha256Upper },
  };
}

/** Every file under a folder, relative with `/`. */
function filesUnder(dir: string, prefix = ""): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => (entry.isDirectory() ? filesUnder(path.join(dir, entry.name), `${prefix}${entry.name}/`) : [`${prefix}${entry.name}`]));
}

interface Perturbation {
  readonly label: string;
  /** Guest file (relative to guest/) and how its text changes. */
  readonly file: string;
  readonly change: (text: string) => string;
}

const eolOf = (text: string) => (text.includes("\r\n") ? "\r\n" : "\n");

function perturbations(): Perturbation[] {
  const list: Perturbation[] = filesUnder(GUEST_DIR).map((file) => ({
    label: `${file}: a line appended`,
    file,
    change: (text) => `${text}${text.endsWith("\n") ? "" : eolOf(text)}# changed by the trigger test${eolOf(text)}`,
  }));
  // One change inside each function of the module (each in its own file): Run Command ships only
  // the functions it uses.
  for (const fn of guestModuleFunctions()) {
    const file = path.relative(GUEST_DIR, fn.file).split(path.sep).join("/");
    list.push({
      label: `${file}: a line inside ${fn.name}`,
      file,
      change: (text) => {
        const at = text.indexOf(fn.text);
        assert.ok(at >= 0, fn.name);
        const closingBrace = at + fn.text.length - 1;
        return `${text.slice(0, closingBrace)}    $null = 'changed by the trigger test'${eolOf(text)}${text.slice(closingBrace)}`;
      },
    });
  }
  return list;
}

describe("re-apply triggers change exactly when what reaches a mechanism's hosts changes", () => {
  let scratch: string;
  let baseline: Record<Mechanism, Shipped>;
  const outcomes: Array<{ label: string; mechanism: Mechanism; shippedChanged: boolean }> = [];

  before(() => {
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), "mailhost-triggers-"));
    baseline = shipped(tuning, GUEST_DIR);
  });
  after(() => fs.rmSync(scratch, { recursive: true, force: true }));

  it("for every guest file and every function of the module", () => {
    const cases = perturbations();
    assert.ok(cases.length > filesUnder(GUEST_DIR).length, "files and functions are both perturbed");
    cases.forEach((p, i) => {
      const root = path.join(scratch, String(i));
      fs.cpSync(GUEST_DIR, root, { recursive: true });
      const target = path.join(root, p.file);
      const before = fs.readFileSync(target, "utf8");
      const changed = p.change(before);
      assert.notEqual(changed, before, p.label);
      fs.writeFileSync(target, changed);
      const now = shipped(tuning, root);
      for (const m of MECHANISMS) {
        const shippedChanged = now[m].content !== baseline[m].content;
        outcomes.push({ label: p.label, mechanism: m, shippedChanged });
        assert.equal(
          now[m].trigger !== baseline[m].trigger,
          shippedChanged,
          `${m}, ${p.label}: what ships ${shippedChanged ? "changed" : "did not change"}, the trigger ${shippedChanged ? "must" : "must not"} change`,
        );
      }
    });
  });

  it("the file cases are not vacuous: each mechanism ships some changed files and misses others", () => {
    const changedFor = (m: Mechanism) => new Set(outcomes.filter((o) => o.mechanism === m && o.shippedChanged).map((o) => o.label));
    const missedFor = (m: Mechanism) => new Set(outcomes.filter((o) => o.mechanism === m && !o.shippedChanged).map((o) => o.label));
    const appended = (file: string) => `${file}: a line appended`;
    const moduleFiles = filesUnder(GUEST_MODULE.dir).map((f) => `modules/${GUEST_MODULE.name}/${f}`);
    // DSC and Machine Configuration ship the whole module folder: every module file reaches them.
    for (const f of moduleFiles) {
      assert.ok(changedFor("dsc").has(appended(f)), `dsc ships ${f}`);
      assert.ok(changedFor("machineConfiguration").has(appended(f)), `machineConfiguration ships ${f}`);
    }
    assert.ok(changedFor("dsc").has(appended("dsc/MailhostTuning.ps1")));
    assert.ok(missedFor("machineConfiguration").has(appended("dsc/MailhostTuning.ps1")));
    assert.ok(changedFor("runCommand").has(appended("runcommand/Set-MailhostTuning.ps1")));
    assert.ok(missedFor("dsc").has(appended("runcommand/Set-MailhostTuning.ps1")));
    // Nothing of the drift collector reaches a tuning mechanism.
    for (const m of MECHANISMS) assert.ok(missedFor(m).has(appended("collector/Get-MailhostState.ps1")), m);
    // Run Command carries only the functions it uses: some function changes reach it, some do not,
    // and the manifest and root module (which it never sends) do not.
    const inside = [...outcomes].filter((o) => o.mechanism === "runCommand" && o.label.includes("a line inside"));
    assert.ok(inside.some((o) => o.shippedChanged) && inside.some((o) => !o.shippedChanged), "run command ships some module functions, not all");
    // Every function of the module was changed inside, and each change reaches DSC and Machine
    // Configuration, which ship every function file.
    const functions = guestModuleFunctions();
    assert.deepEqual(inside.map((o) => o.label.slice(o.label.lastIndexOf(" ") + 1)).sort(), functions.map((fn) => fn.name).sort());
    for (const fn of functions) {
      const label = `${path.relative(GUEST_DIR, fn.file).split(path.sep).join("/")}: a line inside ${fn.name}`;
      assert.ok(changedFor("dsc").has(label) && changedFor("machineConfiguration").has(label), label);
    }
    assert.ok(missedFor("runCommand").has(appended(`modules/${GUEST_MODULE.name}/${GUEST_MODULE.name}.psd1`)));
    assert.ok(missedFor("runCommand").has(appended(`modules/${GUEST_MODULE.name}/${GUEST_MODULE.name}.psm1`)));
  });

  it("for every value the tuning passes: every mechanism's trigger changes", () => {
    const variants: Array<[string, TuningPlan]> = [
      ["MaxUserPort", { ...tuning, maxUserPort: tuning.maxUserPort - 1 }],
      ["TcpTimedWaitDelay", { ...tuning, tcpTimedWaitDelay: tuning.tcpTimedWaitDelay + 1 }],
      ["DynamicPortRangeStartPort", { ...tuning, dynamicPortRangeStart: tuning.dynamicPortRangeStart + 1 }],
      ["DynamicPortRangeNumberOfPorts", { ...tuning, dynamicPortRangeCount: tuning.dynamicPortRangeCount - 1 }],
      ["SiteConfigPathBase64Url", { ...tuning, siteConfigPath: `${tuning.siteConfigPath}.new` }],
      ["SiteConfigContentBase64Url", { ...tuning, siteConfigContent: `${tuning.siteConfigContent}; changed\r\n` }],
      ["SiteConfigSha256", { ...tuning, siteConfigSha256: "0".repeat(64) }],
    ];
    assert.deepEqual(variants.map(([name]) => name).sort(), Object.keys(tuningArguments(tuning)).sort(), "one variant per value passed");
    for (const [name, plan] of variants) {
      const now = shipped(plan, GUEST_DIR);
      for (const m of MECHANISMS) {
        assert.notEqual(now[m].content, baseline[m].content, `${m}: ${name} reaches the hosts`);
        assert.notEqual(now[m].trigger, baseline[m].trigger, `${m}: a changed ${name} changes the trigger`);
      }
    }
  });

  it("the same files and values give the same triggers (no time, no order, no path in them)", () => {
    const copy = path.join(scratch, "same");
    fs.cpSync(GUEST_DIR, copy, { recursive: true });
    const again = shipped(tuning, copy);
    for (const m of MECHANISMS) assert.equal(again[m].trigger, baseline[m].trigger, m);
  });
});
