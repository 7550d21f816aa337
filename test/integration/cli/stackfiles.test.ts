/**
 * One bad stack file never hides the others, and exit codes mean what docs/OPERATIONS.md says: with
 * `--stack all` an unreadable or invalid file is a rejected stack of its own (file, line), a
 * configuration mistake exits 1 with its line whichever layer finds it, dotted stack names are
 * checked, and a stack file Pulumi would not read is reported.
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { parseStackConfig } from "../../../domain/config";
import { SHORTEST_INBOUND_SOURCE_PREFIX } from "../../../domain/limits";
import { isInternetWideSource } from "../../../domain/rules";
import { exposedManagementPorts } from "../../../policies/rules/nsgNoRemoteManagementFromInternet";
import { stackFileConfig } from "../../support/stacks";
import { lineIn, mailhost, project, stackText } from "./support";

const good = stackText("dev");
const badYaml = "config:\n  mailhost:fleet:\n    hostCount: 2\n   vmSize: Standard_D2s_v5\n";
const invalid = stackText("dev", (t) => t.replace(/tcpTimedWaitDelay: \d+/, "tcpTimedWaitDelay: 9999"));
const openTo = (cidr: string) => stackText("dev", (t) => t.replace("- 10.10.0.0/16", `- ${cidr}`));
const tooWide = `0.0.0.0/${SHORTEST_INBOUND_SOURCE_PREFIX - 1}`;

interface JsonStack {
  stack: string;
  file: string;
  status: string;
  configErrors: Array<{ message: string; line: number | null }>;
}

describe("mailhost check --stack all: every file gets a result", { concurrency: 2 }, () => {
  it("reports each bad file as its own rejected stack with file and line, and still checks the others", async () => {
    const dir = project({
      "Pulumi.good.yaml": good,
      "Pulumi.broken.yaml": badYaml,
      "Pulumi.invalid.yaml": invalid,
      "Pulumi.my.stack.yaml": good,
      "Pulumi.wrongext.yml": good,
      "Pulumi.open.yaml": openTo("0.0.0.0/0"),
      "Pulumi.wide.yaml": openTo(tooWide),
    });
    const r = await mailhost(["check", "--stack", "all", "--format", "json", "--cwd", dir]);
    assert.equal(r.code, 1, r.stderr);
    const report = JSON.parse(r.stdout) as { stacks: JsonStack[] };
    const by = Object.fromEntries(report.stacks.map((s) => [s.stack, s]));
    assert.deepEqual(Object.keys(by).sort(), ["broken", "good", "invalid", "my.stack", "open", "wide", "wrongext"]);
    assert.equal(by.good.status, "passed");
    assert.equal(by["my.stack"].status, "passed", "a dotted stack name is checked, not skipped");
    for (const name of ["broken", "invalid", "open", "wide", "wrongext"]) assert.equal(by[name].status, "rejected", name);
    // YAML error: its line and YAML's excerpt.
    assert.equal(by.broken.configErrors[0].line, lineIn(badYaml, "vmSize"));
    assert.match(by.broken.configErrors[0].message, /is not valid YAML/);
    assert.ok(by.broken.configErrors[0].message.includes("vmSize: Standard_D2s_v5"), by.broken.configErrors[0].message);
    assert.equal(by.invalid.configErrors[0].line, lineIn(invalid, "tcpTimedWaitDelay: 9999"));
    // The stack file Pulumi would read instead.
    assert.equal(by.wrongext.file, "Pulumi.wrongext.yml");
    assert.match(by.wrongext.configErrors[0].message, /reads Pulumi\.wrongext\.yaml instead; rename the file to Pulumi\.wrongext\.yaml/);
    // The same rule as the NSG policy, for /0 and for any prefix shorter than the constant, on the item's line.
    for (const [name, cidr] of [
      ["open", "0.0.0.0/0"],
      ["wide", tooWide],
    ]) {
      const [error] = by[name].configErrors;
      assert.ok(error.message.includes(`mailhost:fleet.allowedImapCidrs[0] = "${cidr}"`), error.message);
      assert.ok(error.message.includes(`no prefix shorter than /${SHORTEST_INBOUND_SOURCE_PREFIX}`), error.message);
      assert.equal(error.line, lineIn(openTo(cidr), `- ${cidr}`));
    }
    const github = await mailhost(["check", "--stack", "all", "--format", "github", "--cwd", dir]);
    assert.ok(
      github.stdout.split("\n").some((l) => l.startsWith(`::error file=Pulumi.broken.yaml,line=${lineIn(badYaml, "vmSize")},`)),
      github.stdout,
    );
    assert.match(github.stdout, /mailhost check: 2 passed, 5 rejected, 0 could not be checked\./);
  });

  it("holds allowedImapCidrs to the NSG policy's rule at every prefix length", () => {
    const config = stackFileConfig("dev");
    const raw = (cidr: string) => ({
      ...Object.fromEntries(
        Object.entries(config)
          .filter(([k]) => k.startsWith("mailhost:"))
          .map(([k, v]) => [k.slice("mailhost:".length), v]),
      ),
      fleet: { ...(config["mailhost:fleet"] as object), allowedImapCidrs: [cidr] },
    });
    for (let prefix = 0; prefix <= 32; prefix++) {
      const cidr = `0.0.0.0/${prefix}`;
      const nsgRejects =
        exposedManagementPorts({ direction: "Inbound", access: "Allow", protocol: "Tcp", sourceAddressPrefix: cidr, destinationPortRange: "3389" }).length > 0;
      assert.equal(nsgRejects, prefix < SHORTEST_INBOUND_SOURCE_PREFIX, cidr);
      assert.equal(isInternetWideSource(cidr), nsgRejects, cidr);
      assert.equal(parseStackConfig(raw(cidr)).ok, !nsgRejects, cidr);
    }
  });

  it("json and github output carry a result even when nothing can be checked", async () => {
    const dir = project({});
    const json = await mailhost(["check", "--stack", "all", "--format", "json", "--cwd", dir]);
    assert.equal(json.code, 2);
    const report = JSON.parse(json.stdout);
    assert.equal(report.exitCode, 2);
    assert.match(report.error, /no Pulumi.<stack>.yaml/);
    const github = await mailhost(["check", "--stack", "all", "--format", "github", "--cwd", dir]);
    assert.match(github.stdout, /^::error title=mailhost check could not run::/);
  });
});
