import type { ResourceValidationPolicy } from "@pulumi/policy";
import { DEFAULTS, MAILBOX_CACHE_TTL } from "../../domain/limits";
import { mailboxCacheTtlProblem } from "../../domain/rules";
import { fromBase64Url } from "../../domain/guestEncoding";
import { readMailboxCacheTtl } from "../../domain/siteconfig";
import { configNumber } from "../lib/policyConfig";
import { findValues, label } from "../lib/resources";

/**
 * MailboxCacheTTL at or above its floor, read from the SiteConfig.cfg text the resource actually
 * carries (`SiteConfigContent`), not from a number beside it. Missing or unparsable is a violation.
 */
export const mailboxCacheTtlFloor: ResourceValidationPolicy = {
  name: "mailhost-mailbox-cache-ttl-floor",
  description: "The SiteConfig.cfg a tuning resource writes (SiteConfigContent) must set MailboxCacheTTL to a whole number of seconds at or above the configured floor.",
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
    const contents = findValues(args.type, args.props, "SiteConfigContent");
    const who = label(args.type, args.name);
    // A resource that writes no SiteConfig.cfg is not this policy's concern: every mail host gets
    // exactly one tuning resource (mailhost-vm-has-one-tuning), and ours always writes the file.
    for (const content of contents) {
      if (typeof content.value !== "string") {
        report(`${who}: ${content.where} is not SiteConfig.cfg text, so MailboxCacheTTL cannot be checked against its floor of ${floor} seconds.`);
        continue;
      }
      const ttl = readMailboxCacheTtl(content.value);
      if (!ttl.ok) {
        report(`${who}: in the SiteConfig.cfg it writes (${content.where}), ${ttl.reason}; MailboxCacheTTL must be at least ${floor} seconds.`);
        continue;
      }
      const problem = mailboxCacheTtlProblem(ttl.value, floor);
      if (problem !== undefined) report(`${who}: the SiteConfig.cfg it writes (${content.where}) sets ${problem}.`);
    }
    // SiteConfig.cfg sent encoded (a Machine Configuration assignment's SiteConfigContentBase64Url):
    // decoded, then read like the text above.
    for (const encoded of findValues(args.type, args.props, "SiteConfigContentBase64Url")) {
      let text: string;
      try {
        if (typeof encoded.value !== "string") throw new Error("it is not a string");
        text = fromBase64Url(encoded.value);
      } catch (err) {
        report(`${who}: ${encoded.where} cannot be decoded as SiteConfig.cfg (${(err as Error).message}), so MailboxCacheTTL cannot be checked against its floor of ${floor} seconds.`);
        continue;
      }
      const ttl = readMailboxCacheTtl(text);
      if (!ttl.ok) {
        report(`${who}: in the SiteConfig.cfg it writes (${encoded.where}, decoded), ${ttl.reason}; MailboxCacheTTL must be at least ${floor} seconds.`);
        continue;
      }
      const problem = mailboxCacheTtlProblem(ttl.value, floor);
      // A protected value is never echoed.
      const shown = problem !== undefined && encoded.protected ? problem.replace(/ = .*? (is|does)/, " (protected value) $1") : problem;
      if (shown !== undefined) report(`${who}: the SiteConfig.cfg it writes (${encoded.where}, decoded) sets ${shown}.`);
    }
  },
};
