import type * as pulumi from "@pulumi/pulumi";
import type { CapacitySettings, MonitoringSettings, SiteConfigSettings, TcpSettings } from "./settings";

/** The inputs `MailhostFleet` and `MailhostFleetInNetwork` share. */
export interface FleetComponentArgs {
  /**
   * Environment name (the stack name in this repository's program): it names every Azure resource
   * the component creates (`vm-mail-<environment>-001`, `rg-mailhost-<environment>` where it creates
   * the resource group, ...) and fills the `environment` and `mailhost-stack` tags. Required. Azure names cannot change after
   * creation: a different environment is a different fleet.
   */
  readonly environment: string;
  /** TCP tuning in every host. Required. Validated when the component is constructed. */
  readonly tcp: TcpSettings;
  /** SiteConfig.cfg of every host. Required. Validated when the component is constructed. */
  readonly siteConfig: SiteConfigSettings;
  /** Planned load per host; decides the `MailboxCacheTTL` floor. Required. */
  readonly capacity: CapacitySettings;
  /** Azure Monitor for port exhaustion. Defaults to enabled, with a workspace of its own. */
  readonly monitoring?: MonitoringSettings;
  /** Local administrator password of every host; stored as a Pulumi secret. Required. */
  readonly adminPassword: pulumi.Input<string>;
  /** Webhook of the alert action group (https). Stored as a secret, never exported. Defaults to none. */
  readonly alertWebhookUrl?: pulumi.Input<string>;
}
