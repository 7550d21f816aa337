/**
 * The policies that held several rules until the rules became policies of their own again (see
 * CHANGELOG): a policy config that still names one of them sets nothing, since the pack has no
 * policy of that name any more. `mailhost check` refuses such a config and names the rules to set
 * instead; docs/POLICIES-LIBRARY.md lists the same table.
 */
import type { MailhostRuleName } from "../library";

export const FORMER_GROUPS: Readonly<Record<string, readonly MailhostRuleName[]>> = {
  "mailhost-resource-guardrails": [
    "mailhost-tcp-timed-wait-delay-range",
    "mailhost-max-user-port-range",
    "mailhost-dynamic-port-range-valid",
    "mailhost-auto-reuse-port-range-valid",
    "mailhost-script-tuning-range",
    "mailhost-guest-configuration-content-hash",
    "mailhost-guest-configuration-content-uri-https",
    "mailhost-nic-no-public-ip",
    "mailhost-nsg-no-remote-management-from-internet",
    "mailhost-secrets-only-in-protected-settings",
  ],
  "mailhost-service-readiness": ["mailhost-mailbox-cache-ttl-floor", "mailhost-alert-rule-has-action-group"],
  "mailhost-tuning-recommended": ["mailhost-max-user-port-recommended", "mailhost-tcp-timed-wait-delay-recommended"],
  "mailhost-fleet-readiness": [
    "mailhost-capacity-sustains-load",
    "mailhost-vm-has-monitoring-agent",
    "mailhost-vm-has-data-collection-rule-association",
    "mailhost-port-usage-alert",
    "mailhost-subnet-explicit-outbound",
  ],
  "mailhost-monitoring-coverage": ["mailhost-collects-tuning-corrections", "mailhost-tuning-correction-alert", "mailhost-nat-gateway-alerts"],
};
