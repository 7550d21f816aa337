import type { ResourceValidationPolicy } from "@pulumi/policy";
import { SITE_CONFIG_CONTENT_PARAMETER } from "../../domain/plan";
import { asNumber, carriesTuning, findValues, isTuningCarrierType, label } from "../lib/resources";
import { known } from "../lib/unknown";

/** Values the MailboxCacheTTL floor and capacity policies read from every tuning resource. */
const READ_BY_FLOOR_AND_CAPACITY = [SITE_CONFIG_CONTENT_PARAMETER, "TcpTimedWaitDelay", "DynamicPortRangeStartPort", "DynamicPortRangeNumberOfPorts"] as const;

/** Names older releases sent raw; the guest scripts no longer read them. */
const RETIRED_NAMES = ["SiteConfigContent", "SiteConfigPath"] as const;

/**
 * Advisory: a tuning resource carries every value the MailboxCacheTTL floor and capacity policies
 * read. Those policies check what they find; this one says when they found nothing to check, so
 * a resource never passes them silently.
 */
export const tuningValuesReadable: ResourceValidationPolicy = {
  name: "mailhost-tuning-values-readable",
  description: `A tuning resource (a VM extension or run command that carries a tuning value) must carry ${SITE_CONFIG_CONTENT_PARAMETER} and the TcpTimedWaitDelay and dynamic port range numbers, so that the MailboxCacheTTL floor and capacity policies have something to check.`,
  enforcementLevel: "advisory",
  validateResource: (args, report) => {
    if (!isTuningCarrierType(args.type)) return;
    const props = known(() => args.props as Record<string, unknown>);
    if (!props.ok) return;
    const carries = known(() => carriesTuning(args.type, props.value));
    const retired = RETIRED_NAMES.filter((name) => {
      const found = known(() => findValues(args.type, props.value, name).length > 0);
      return found.ok && found.value;
    });
    if ((!carries.ok || !carries.value) && retired.length === 0) return;
    const missing: string[] = [];
    const notYetKnown: string[] = [];
    for (const name of READ_BY_FLOOR_AND_CAPACITY) {
      const found = known(() => findValues(args.type, props.value, name).map((f) => f.value));
      if (!found.ok) notYetKnown.push(name);
      else if (found.value.length === 0) missing.push(name);
      else if (name !== SITE_CONFIG_CONTENT_PARAMETER && !found.value.every((v) => Number.isInteger(asNumber(v)))) missing.push(`${name} (not a whole number)`);
    }
    const parts = [
      missing.length > 0 ? `carries no readable ${missing.join(", ")}` : "",
      notYetKnown.length > 0 ? `${notYetKnown.join(", ")} not known yet (preview)` : "",
      retired.length > 0
        ? `carries ${retired.join(", ")}, which the guest no longer reads (send ${SITE_CONFIG_CONTENT_PARAMETER} and SiteConfigPathBase64Url, base64url of UTF-8)`
        : "",
    ].filter((p) => p !== "");
    if (parts.length === 0) return;
    report(`${label(args.type, args.name)} ${parts.join("; ")}: the MailboxCacheTTL floor and capacity policies could not check it.`);
  },
};
