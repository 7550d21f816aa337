import type { ResourceValidationPolicy } from "@pulumi/policy";
import { DEFAULTS, MAILBOX_CACHE_TTL } from "../../domain/limits";
import { mailboxCacheTtlProblem } from "../../domain/rules";
import { configNumber } from "../lib/policyConfig";
import { label } from "../lib/resources";
import { carriedTtls } from "../lib/siteConfig";

/**
 * MailboxCacheTTL at or above its floor, read from the SiteConfig.cfg the resource actually
 * carries (`SiteConfigContentBase64Url`, decoded and parsed as INI), not from a number beside it.
 * Undecodable, unparsable or without MailboxCacheTTL is a violation. A tuning resource that
 * carries no SiteConfig.cfg at all is reported by `mailhost-tuning-values-readable`.
 */
export const mailboxCacheTtlFloor: ResourceValidationPolicy = {
  name: "mailhost-mailbox-cache-ttl-floor",
  description: "The SiteConfig.cfg a tuning resource writes (SiteConfigContentBase64Url, decoded) must set MailboxCacheTTL to a whole number of seconds at or above the configured floor.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      minimumMailboxCacheTtl: {
        type: "integer",
        minimum: MAILBOX_CACHE_TTL.min,
        maximum: MAILBOX_CACHE_TTL.max,
        default: DEFAULTS.minimumMailboxCacheTtl,
        description: "Floor for MailboxCacheTTL, seconds.",
      },
    },
  },
  validateResource: (args, report) => {
    const floor = configNumber(args.getConfig<Record<string, unknown>>(), "minimumMailboxCacheTtl", DEFAULTS.minimumMailboxCacheTtl);
    const who = label(args.type, args.name);
    for (const carried of carriedTtls(args.type, args.props)) {
      if (!carried.ttl.ok) {
        report(`${who}: in the SiteConfig.cfg it writes (${carried.where}), ${carried.ttl.reason}; MailboxCacheTTL must be at least ${floor} seconds.`);
        continue;
      }
      const problem = mailboxCacheTtlProblem(carried.ttl.value, floor);
      if (problem !== undefined) report(`${who}: the SiteConfig.cfg it writes (${carried.where}) sets ${problem}.`);
    }
  },
};
