/** Runs the example projects of examples/ under the mocks, as `pulumi up` would run them. */
import * as path from "node:path";
import { type OfflineRun, runOffline, runtimeConfig } from "../../engine/offline";
import { REPO_ROOT } from "./stacks";

export const EXAMPLES_DIR = path.join(REPO_ROOT, "examples");

/** A VM another program created (ARM id in the mock subscription). */
export function existingVmId(name: string, group = "rg-mail-legacy"): string {
  return `/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/${group}/providers/Microsoft.Compute/virtualMachines/${name}`;
}

export const EXISTING_WORKSPACE_ID =
  "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-observability/providers/Microsoft.OperationalInsights/workspaces/log-shared-001";

/** Config of each example as `pulumi config set` would give it (the mock project is "mailhost"). */
export const EXAMPLE_CONFIG: Record<string, Record<string, unknown>> = {
  "new-fleet": { "mailhost:adminPassword": "Test-Only-Passw0rd!" },
  "existing-vms": {
    "mailhost:contentResourceGroup": "rg-mail-shared",
    "mailhost:vmIds": [existingVmId("mailfe01"), existingVmId("mailfe02"), existingVmId("mailfe03", "rg-mail-other")],
    "mailhost:workspaceResourceId": EXISTING_WORKSPACE_ID,
    "mailhost:workspaceLocation": "northeurope",
  },
};

/** Runs examples/<name>/index.ts (its top-level code is the program) and returns what it registered and exported. */
export function runExample(name: string, stack = "dev"): Promise<OfflineRun> {
  const file = require.resolve(path.join(EXAMPLES_DIR, name, "index.ts"));
  return runOffline(
    async () => {
      delete require.cache[file];
      return { ...(require(file) as Record<string, unknown>) };
    },
    stack,
    runtimeConfig(EXAMPLE_CONFIG[name]),
    ["mailhost:adminPassword"],
  );
}
