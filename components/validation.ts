/** Input validation shared by the components: runs before a component or any child exists. */
import * as pulumi from "@pulumi/pulumi";
import { type TuningPlan, sha256Hex } from "../domain/plan";
import { autoReusePortRangeProblems, dynamicPortRangeProblems, mailboxCacheTtlProblem, maxUserPortProblem, tcpTimedWaitDelayProblem } from "../domain/rules";
import { readMailboxCacheTtl } from "../domain/siteconfig";
import { withRejection } from "../domain/rejection";

/**
 * Throws one `pulumi.ResourceError` listing every problem, naming the component, the input, the
 * value and the allowed range. Call it before `super()`, so a rejected component registers nothing.
 */
export function rejectInvalid(typeToken: string, name: string, problems: readonly string[], opts?: pulumi.ResourceOptions): void {
  if (problems.length === 0) return;
  throw withRejection(new pulumi.ResourceError(`${typeToken} "${name}" has invalid inputs: ${problems.join("; ")}.`, opts?.parent, true), {
    component: typeToken,
    name,
    problems: problems.map((message) => ({ message })),
  });
}

/**
 * What a SiteConfig.cfg text carries (its MailboxCacheTTL) and its SHA-256, for the last text
 * seen: every host of a fleet gets the same file, so a 1,000-host program parses and hashes it
 * once instead of once per host.
 */
let lastSiteConfig: { content: string; carried: ReturnType<typeof readMailboxCacheTtl>; sha256: string } | undefined;

function siteConfigFacts(content: string): { carried: ReturnType<typeof readMailboxCacheTtl>; sha256: string } {
  if (lastSiteConfig?.content !== content) lastSiteConfig = { content, carried: readMailboxCacheTtl(content), sha256: sha256Hex(content) };
  return lastSiteConfig;
}

/** Every problem with a tuning plan, checked against the limits module. */
export function tuningProblems(tuning: TuningPlan): string[] {
  const problems = [
    tcpTimedWaitDelayProblem(tuning.tcpTimedWaitDelay),
    maxUserPortProblem(tuning.maxUserPort),
    ...dynamicPortRangeProblems(tuning.dynamicPortRangeStart, tuning.dynamicPortRangeCount, tuning.maxUserPort),
    ...(tuning.autoReusePortRange === undefined
      ? []
      : autoReusePortRangeProblems(
          tuning.autoReusePortRange.start,
          tuning.autoReusePortRange.count,
          tuning.dynamicPortRangeStart,
          tuning.dynamicPortRangeCount,
        )),
    mailboxCacheTtlProblem(tuning.mailboxCacheTtl, tuning.effectiveTtlFloor),
  ];
  const { carried, sha256 } = siteConfigFacts(tuning.siteConfigContent);
  if (!carried.ok) problems.push(`SiteConfigContent: ${carried.reason}`);
  else if (carried.value !== tuning.mailboxCacheTtl)
    problems.push(`SiteConfigContent carries MailboxCacheTTL = ${carried.value}, not the planned ${tuning.mailboxCacheTtl}`);
  if (tuning.siteConfigPath.length === 0) problems.push("SiteConfigPath is empty");
  if (sha256 !== tuning.siteConfigSha256) problems.push("SiteConfigSha256 is not the SHA-256 of SiteConfigContent");
  return problems.filter((p): p is string => p !== undefined);
}
