/**
 * The stack's region (`azure-native:location`) must be in the stack file: `check` and `plan` refuse
 * a file without it (or with a display name instead of a region name), naming the key.
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { mailhost, project, stackText } from "./support";

const withoutLocation = stackText("dev", (t) =>
  t
    .split("\n")
    .filter((l) => !l.includes("azure-native:location"))
    .join("\n"),
);
const withDisplayName = stackText("dev", (t) => t.replace(/azure-native:location: .*/, 'azure-native:location: "West Europe"'));

describe("the stack's region is required", () => {
  for (const command of ["check", "plan"]) {
    it(`${command} refuses a stack file without azure-native:location, naming the key`, async () => {
      const dir = project({ "Pulumi.dev.yaml": withoutLocation });
      const r = await mailhost([command, "--stack", "dev"], dir);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stdout + r.stderr, /azure-native:location is missing/);
    });
    it(`${command} refuses a display name, naming the key and the value`, async () => {
      const dir = project({ "Pulumi.dev.yaml": withDisplayName });
      const r = await mailhost([command, "--stack", "dev"], dir);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stdout + r.stderr, /azure-native:location = "West Europe" is not an Azure region name/);
    });
  }
  it("plan accepts the committed file, which sets it", async () => {
    const dir = project({ "Pulumi.dev.yaml": stackText("dev") });
    const r = await mailhost(["plan", "--stack", "dev"], dir);
    assert.equal(r.code, 0, r.stderr);
  });
});
