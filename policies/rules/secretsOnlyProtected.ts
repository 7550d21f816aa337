import type { ResourceValidationPolicy } from "@pulumi/policy";
import { EXTENSION_TYPE, GUEST_CONFIGURATION_ASSIGNMENT_TYPE, POLICY_ASSIGNMENT_TYPE, POLICY_DEFINITION_TYPE, RUN_COMMAND_TYPE, guestConfigurationOf, label } from "../lib/resources";
import { PACKAGE_SAS_LIFETIME_DAYS } from "../../domain/limits";

import { fromBase64Url } from "../../domain/guestEncoding";
import { SECRET_NAME, SECRET_VALUE, packageSasProblem } from "../../domain/secrets";

/**
 * True when a value is, or (under a `...Base64Url` name) decodes to, a credential: encoding a value
 * for the command line must not hide a SAS signature or key from this policy.
 */
function carriesSecretValue(name: string, value: string): boolean {
  if (SECRET_VALUE.test(value)) return true;
  if (!/base64url$/i.test(name)) return false;
  try {
    return SECRET_VALUE.test(fromBase64Url(value));
  } catch {
    return false;
  }
}

/** Whether the rule lets a string at `key` through (see {@link packageSas}), else why not; by default nothing passes. */
type Accept = (key: string, value: string) => { accepted: boolean; reason?: string };

/** Why a credential found at a path was not accepted, when the rule knows more than "it is a credential". */
const reasons = new Map<string, string>();

function findSecrets(node: unknown, path: string, out: string[], accept: Accept = () => ({ accepted: false })): void {
  if (Array.isArray(node)) {
    node.forEach((item, i) => findSecrets(item, `${path}[${i}]`, out, accept));
  } else if (node !== null && typeof node === "object") {
    for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
      const here = path === "" ? key : `${path}.${key}`;
      if (typeof value === "string" && value !== "" && (SECRET_NAME.test(key) || carriesSecretValue(key, value))) {
        const verdict = accept(key, value);
        if (!verdict.accepted) {
          out.push(here);
          if (verdict.reason !== undefined) reasons.set(here, verdict.reason);
        }
      } else findSecrets(value, here, out, accept);
    }
  } else if (typeof node === "string" && SECRET_VALUE.test(node)) {
    out.push(path);
  }
}

/**
 * The stated exception: a policy definition's guest configuration `contentUri` may carry a SAS
 * when it is the read-only, https-only SAS of one content-addressed package blob that expires
 * within PACKAGE_SAS_LIFETIME_DAYS.max days. Why: Azure Policy has no secret parameter, a
 * DeployIfNotExists can only hand machines a URL, Arc-enabled servers cannot use a user-assigned
 * identity, and New-GuestConfigurationPolicy documents exactly this SAS URL for such machines. The
 * package holds no credential (SiteConfig.cfg may carry none: domain/siteconfig.ts). Anything
 * broader (write, list, container or account SAS, http, a longer life) is still a violation.
 */
function packageSas(key: string, value: string): { accepted: boolean; reason?: string } {
  if (key !== "contentUri") return { accepted: false };
  const problem = packageSasProblem(value, PACKAGE_SAS_LIFETIME_DAYS.max);
  return problem === undefined ? { accepted: true } : { accepted: false, reason: problem };
}

/** SAS tokens, passwords and keys go in protectedSettings / protectedParameters only. */
export const secretsOnlyProtected: ResourceValidationPolicy = {
  name: "mailhost-secrets-only-in-protected-settings",
  description: "VM extensions, run commands, guest configuration assignments and policy definitions and assignments must not carry SAS tokens, passwords or keys in plain settings or parameters; those belong in protectedSettings, protectedParameters or configurationProtectedParameter (and package URLs are read with a managed identity). One stated exception: a policy definition's guest configuration contentUri may carry the read-only, https-only SAS of one content-addressed package blob that expires within a year.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    const found: string[] = [];
    reasons.clear();
    if (EXTENSION_TYPE.test(args.type)) {
      findSecrets(args.props.settings, "settings", found);
    } else if (RUN_COMMAND_TYPE.test(args.type)) {
      const parameters = Array.isArray(args.props.parameters) ? args.props.parameters : [];
      for (const p of parameters) {
        const name = typeof p?.name === "string" ? p.name : "";
        if (typeof p?.value === "string" && p.value !== "" && (SECRET_NAME.test(name) || carriesSecretValue(name, p.value))) found.push(`parameters[${name}]`);
      }
      // Blob URLs signed with a SAS: a managed identity (…ManagedIdentity) is the protected way.
      const uris: Array<[string, unknown]> = [["source.scriptUri", args.props.source?.scriptUri], ["outputBlobUri", args.props.outputBlobUri], ["errorBlobUri", args.props.errorBlobUri]];
      for (const [where, uri] of uris) if (typeof uri === "string" && SECRET_VALUE.test(uri)) found.push(where);
    } else if (GUEST_CONFIGURATION_ASSIGNMENT_TYPE.test(args.type)) {
      const gc = guestConfigurationOf(args.props);
      const parameters = Array.isArray(gc?.configurationParameter) ? gc.configurationParameter : [];
      for (const p of parameters) {
        const name = typeof p?.name === "string" ? p.name : "";
        if (typeof p?.value === "string" && p.value !== "" && (SECRET_NAME.test(name.split(";").pop() ?? "") || SECRET_VALUE.test(p.value))) found.push(`properties.guestConfiguration.configurationParameter[${name}]`);
      }
      if (typeof gc?.contentUri === "string" && SECRET_VALUE.test(gc.contentUri)) found.push("properties.guestConfiguration.contentUri");
    } else if (POLICY_DEFINITION_TYPE.test(args.type)) {
      findSecrets(args.props.parameters, "parameters", found);
      findSecrets(args.props.metadata, "metadata", found, packageSas);
      findSecrets(args.props.policyRule, "policyRule", found, packageSas);
    } else if (POLICY_ASSIGNMENT_TYPE.test(args.type)) {
      findSecrets(args.props.parameters, "parameters", found);
    }
    const isPolicy = (type: string) => POLICY_DEFINITION_TYPE.test(type) || POLICY_ASSIGNMENT_TYPE.test(type);
    // The value itself is never part of the message.
    for (const where of found) {
      const reason = reasons.get(where);
      const remedy = reason !== undefined ? `the read-only SAS of the package blob alone (sr=b, sp=r, spr=https, expiring within ${PACKAGE_SAS_LIFETIME_DAYS.max} days); this one is refused because ${reason}`
        : isPolicy(args.type) ? "a Key Vault reference or a managed identity; Azure Policy parameters are never secret"
        : EXTENSION_TYPE.test(args.type) ? "protectedSettings"
        : where.startsWith("parameters") ? "protectedParameters"
        : where.startsWith("properties.guestConfiguration.configurationParameter") ? "configurationProtectedParameter"
        : "a managed identity instead of a SAS URL";
      report(`${label(args.type, args.name)} carries a credential in ${where} (value not shown); move it to ${remedy}.`);
    }
  },
};
