/**
 * The mailhost Pulumi program: reads and validates the stack's config (nothing is created when it
 * is invalid), builds the fleet and exports its outputs.
 */
import * as pulumi from "@pulumi/pulumi";
import { MailhostFleet } from "./components/MailhostFleet";
import { settingsOf } from "./components/settings";
import { ConfigValidationError } from "./domain/issues";
import { type MailhostStackOutputs } from "./components/stackOutputs";
import { loadStack } from "./stack/stackConfig";
// The component plugin (PulumiPlugin.yaml): Pulumi's schema inference starts at this file (the
// package's entry points are compiled JavaScript it cannot read) and follows its imports to the
// component classes. This type-only import leads it to the library's entry point; nothing is
// loaded at run time. See docs/LANGUAGES.md.
import type {} from "./components/index";

async function mailhostProgram(): Promise<MailhostStackOutputs> {
  let loaded;
  try {
    loaded = loadStack(pulumi.getStack(), pulumi.runtime.allConfig());
  } catch (err) {
    // A user error: one clear message, no stack trace.
    if (err instanceof ConfigValidationError) throw new pulumi.RunError(err.message);
    throw err;
  }
  const fleet = new MailhostFleet("mailhost", {
    environment: loaded.plan.stack,
    ...settingsOf(loaded.plan.config),
    adminPassword: pulumi.secret(loaded.adminPassword),
    alertWebhookUrl: loaded.alertWebhookUrl === undefined ? undefined : pulumi.secret(loaded.alertWebhookUrl),
  });
  // Hosts are created in batches (memory stays flat at fleet scale): wait until all exist.
  await fleet.ready;
  return fleet.stackOutputs;
}

export = mailhostProgram;
