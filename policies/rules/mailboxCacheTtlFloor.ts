import type { ResourceValidationPolicy } from "@pulumi/policy";
import { DEFAULTS } from "../../domain/limits";
import { mailboxCacheTtlProblem } from "../../domain/rules";
import { label } from "../lib/resources";
import { carriedTtls } from "../lib/siteConfig";

/** The floor the rule holds MailboxCacheTTL to, read through `args.getConfig()`. */
export interface MailboxCacheTtlFloorConfig {
  /** Seconds; {@link DEFAULTS}.minimumMailboxCacheTtl when absent. */
  readonly minimumMailboxCacheTtl?: number;
  /** Where the floor came from, for messages ("the stack's mailhost:siteConfig.minimumMailboxCacheTtl", ...). */
  readonly source?: string;
  /** The stack states a floor the schema refuses: the sentences saying why (the default floor is applied). */
  readonly problem?: string;
}

/**
 * MailboxCacheTTL at or above its floor, read from the SiteConfig.cfg the resource actually
 * carries (`SiteConfigContentBase64Url`, decoded and parsed as INI), not from a number beside it.
 * Undecodable, unparsable or without MailboxCacheTTL is a violation. A tuning resource that
 * carries no SiteConfig.cfg at all is reported by `mailhost-tuning-values-readable`. The floor is
 * the stack's own `mailhost:siteConfig.minimumMailboxCacheTtl` (or the one given to
 * `mailhostPolicies()`), read through `args.getConfig()` as a {@link MailboxCacheTtlFloorConfig}.
 */
export const mailboxCacheTtlFloor: ResourceValidationPolicy = {
  name: "mailhost-mailbox-cache-ttl-floor",
  description:
    "The SiteConfig.cfg a tuning resource writes (SiteConfigContentBase64Url, decoded) must set MailboxCacheTTL to a whole number of seconds at or above the configured floor.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    const config = args.getConfig<MailboxCacheTtlFloorConfig>();
    const floor = config.minimumMailboxCacheTtl ?? DEFAULTS.minimumMailboxCacheTtl;
    const source = config.source === undefined ? "" : ` (floor from ${config.source})`;
    const who = label(args.type, args.name);
    const carried = carriedTtls(args.type, args.props);
    if (config.problem !== undefined && carried.length > 0)
      report(`${who}: the MailboxCacheTTL floor is checked against the default ${floor} s: ${config.problem}`);
    for (const found of carried) {
      if (!found.ttl.ok) {
        report(`${who}: in the SiteConfig.cfg it writes (${found.where}), ${found.ttl.reason}; MailboxCacheTTL must be at least ${floor} seconds${source}.`);
        continue;
      }
      const problem = mailboxCacheTtlProblem(found.ttl.value, floor);
      if (problem !== undefined) report(`${who}: the SiteConfig.cfg it writes (${found.where}) sets ${problem}${source}.`);
    }
  },
};
