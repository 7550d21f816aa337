import type { ResourceValidationPolicy } from "@pulumi/policy";
import { EXTENSION_TYPE, GUEST_CONFIGURATION_ASSIGNMENT_TYPE, RUN_COMMAND_TYPE, guestConfigurationOf, label } from "../lib/resources";

import { fromBase64Url } from "../../domain/guestEncoding";
import { SECRET_NAME, SECRET_VALUE } from "../../domain/secrets";

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

function findSecrets(node: unknown, path: string, out: string[]): void {
  if (Array.isArray(node)) {
    node.forEach((item, i) => findSecrets(item, `${path}[${i}]`, out));
  } else if (node !== null && typeof node === "object") {
    for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
      const here = path === "" ? key : `${path}.${key}`;
      if (typeof value === "string" && value !== "" && (SECRET_NAME.test(key) || carriesSecretValue(key, value))) out.push(here);
      else findSecrets(value, here, out);
    }
  } else if (typeof node === "string" && SECRET_VALUE.test(node)) {
    out.push(path);
  }
}

/** SAS tokens, passwords and keys go in protectedSettings / protectedParameters only. */
export const secretsOnlyProtected: ResourceValidationPolicy = {
  name: "mailhost-secrets-only-in-protected-settings",
  description: "VM extensions, run commands and guest configuration assignments must not carry SAS tokens, passwords or keys in plain settings or parameters; those belong in protectedSettings, protectedParameters or configurationProtectedParameter (and package URLs are read with a managed identity).",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    const found: string[] = [];
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
    }
    // The value itself is never part of the message.
    for (const where of found) {
      const remedy = EXTENSION_TYPE.test(args.type) ? "protectedSettings"
        : where.startsWith("parameters") ? "protectedParameters"
        : where.startsWith("properties.guestConfiguration.configurationParameter") ? "configurationProtectedParameter"
        : "a managed identity instead of a SAS URL";
      report(`${label(args.type, args.name)} carries a credential in ${where} (value not shown); move it to ${remedy}.`);
    }
  },
};
