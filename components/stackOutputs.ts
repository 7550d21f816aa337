import type * as pulumi from "@pulumi/pulumi";

/** What a stack exports: nothing secret. */
export interface MailhostStackOutputs {
  readonly resourceGroupName: pulumi.Output<string>;
  readonly hosts: Array<{
    readonly name: string;
    /** The VM's availability zone as Azure has it (kept from its creation), or null. */
    readonly zone: pulumi.Output<string | null>;
    readonly privateIpAddress: pulumi.Output<string | undefined>;
    readonly tuning: {
      readonly mechanism: string;
      readonly maxUserPort: number;
      readonly tcpTimedWaitDelay: number;
      readonly dynamicPortRange: { readonly start: number; readonly count: number };
      readonly mailboxCacheTtl: number;
      /** The auto-reuse port range, when the stack sets one. */
      readonly autoReusePortRange?: { readonly start: number; readonly count: number };
    };
    /** Which capacity model applies: `hostPool` (one pool per host, the default) or `perBackend` (auto-reuse range). */
    readonly capacityModel: "hostPool" | "perBackend";
    /** The pool's rate: `P / T` for the whole host (`hostPool`), or `R / T` per back-end endpoint (`perBackend`). */
    readonly rmax: number;
    readonly effectiveTtlFloor: number;
  }>;
  /** Azure Monitor of the stack; never carries the webhook URL. */
  readonly monitoring:
    | { readonly enabled: false }
    | {
        readonly enabled: true;
        readonly workspaceResourceId: pulumi.Output<string>;
        readonly dataCollectionRuleId: pulumi.Output<string>;
        readonly actionGroupId: pulumi.Output<string>;
        readonly emailReceivers: readonly string[];
        /** True when a webhook receiver is configured (its URL is a secret). */
        readonly webhookReceiver: boolean;
        readonly alertRules: ReadonlyArray<{ readonly name: string; readonly severity: number; readonly threshold: number }>;
        /** Metric alert rules on the stack's NAT gateway (none when the egress is a route table). */
        readonly metricAlerts: ReadonlyArray<{ readonly name: string; readonly severity: number; readonly threshold: number }>;
      };
}
