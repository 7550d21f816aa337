/**
 * Guest configuration (Machine Configuration) assignments: the package they point at must be
 * pinned by its hash and fetched over HTTPS, and an assignment on a mail host must apply its
 * configuration, not only audit it. Their tuned values are checked by the same range, floor and
 * one-tuning policies as every other mechanism (policies/lib/resources.ts reads
 * `configurationParameter` and `configurationProtectedParameter`).
 *
 * Source: REST spec Microsoft.GuestConfiguration 2024-04-05 (`contentHash`, `contentUri`,
 * `assignmentType` Audit | DeployAndAutoCorrect | ApplyAndAutoCorrect | ApplyAndMonitor).
 */
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { APPLYING_ASSIGNMENT_TYPES } from "../../domain/machineConfiguration";
import { indexVms, isVirtualMachine, targetVms, vmName } from "../lib/hosts";
import { GUEST_CONFIGURATION_ASSIGNMENT_TYPE, guestConfigurationOf, label } from "../lib/resources";
import { known } from "../lib/unknown";

/** A SHA-256 in hex: 64 characters. */
const SHA256_HEX = /^[0-9A-Fa-f]{64}$/;

/** The assignment's package is pinned by its SHA-256. */
export const guestConfigurationContentHash: ResourceValidationPolicy = {
  name: "mailhost-guest-configuration-content-hash",
  description:
    "A guest configuration assignment with its own package (contentUri) must pin it by contentHash, the package's SHA-256 as 64 hex characters, so that a changed or substituted package is never applied.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    if (!GUEST_CONFIGURATION_ASSIGNMENT_TYPE.test(args.type)) return;
    const gc = guestConfigurationOf(args.props);
    if (gc?.contentUri === undefined) return;
    const hash = gc.contentHash;
    if (typeof hash !== "string" || !SHA256_HEX.test(hash)) {
      const shown = typeof hash === "string" ? `${JSON.stringify(hash)} (${hash.length} characters)` : "missing";
      report(`${label(args.type, args.name)}: properties.guestConfiguration.contentHash is ${shown}; it must be the package's SHA-256 as 64 hex characters.`);
    }
  },
};

/** The assignment's package is fetched over HTTPS. */
export const guestConfigurationContentUriHttps: ResourceValidationPolicy = {
  name: "mailhost-guest-configuration-content-uri-https",
  description: "A guest configuration assignment's contentUri must be an https URL.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    if (!GUEST_CONFIGURATION_ASSIGNMENT_TYPE.test(args.type)) return;
    const uri = guestConfigurationOf(args.props)?.contentUri;
    if (uri === undefined) return;
    if (typeof uri !== "string" || !/^https:\/\//i.test(uri)) {
      // Only the scheme is shown: the rest may hold a SAS signature.
      const scheme = typeof uri === "string" ? (/^([A-Za-z][A-Za-z0-9+.-]*):/.exec(uri)?.[1] ?? "no scheme") : typeof uri;
      report(`${label(args.type, args.name)}: properties.guestConfiguration.contentUri uses ${scheme}; the package must be fetched over https.`);
    }
  },
};

/**
 * An assignment on a mail host that only audits never fixes anything: the host keeps whatever
 * port tuning it has. Advisory by default; the prod policy config makes it mandatory.
 */
export const guestConfigurationApplies: StackValidationPolicy = {
  name: "mailhost-guest-configuration-applies",
  description: `A guest configuration assignment on a mail host must apply its configuration (assignmentType ${APPLYING_ASSIGNMENT_TYPES.join(", ")}); an Audit assignment only reports drift and never corrects it.`,
  enforcementLevel: "advisory",
  validateStack: (args, report) => {
    const index = indexVms(args.resources.filter(isVirtualMachine));
    for (const assignment of args.resources.filter((r) => GUEST_CONFIGURATION_ASSIGNMENT_TYPE.test(r.type))) {
      const hosts = targetVms(assignment, index);
      if (hosts.length === 0) continue;
      const type = known(() => guestConfigurationOf(assignment.props)?.assignmentType);
      if (!type.ok) continue;
      if (typeof type.value === "string" && (APPLYING_ASSIGNMENT_TYPES as readonly string[]).includes(type.value)) continue;
      const shown = type.value === undefined ? "not set (Audit)" : JSON.stringify(type.value);
      const on = hosts.map((vm) => `VirtualMachine "${vmName(vm) ?? vm.name}"`).join(", ");
      report(
        `${label(assignment.type, assignment.name)} on ${on} has assignmentType ${shown}: it only audits and never corrects the host; use ApplyAndAutoCorrect.`,
        assignment.urn,
      );
    }
  },
};
