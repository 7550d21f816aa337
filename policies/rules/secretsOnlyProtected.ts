import type { ResourceValidationPolicy } from "@pulumi/policy";
import { EXTENSION_TYPE, RUN_COMMAND_TYPE, label } from "../lib/resources";

/** Setting names that hold credentials. */
const SECRET_NAME = /(sas|password|passwd|pwd|secret|token|accountkey|storagekey|privatekey|apikey|connectionstring|credential)/i;
/** Values that are credentials whatever their name: SAS signatures, account keys, connection strings. */
const SECRET_VALUE = /([?&]|^)sig=[^&\s]+|AccountKey=|SharedAccessSignature=|-----BEGIN [A-Z ]*PRIVATE KEY-----/i;

function findSecrets(node: unknown, path: string, out: string[]): void {
  if (Array.isArray(node)) {
    node.forEach((item, i) => findSecrets(item, `${path}[${i}]`, out));
  } else if (node !== null && typeof node === "object") {
    for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
      const here = path === "" ? key : `${path}.${key}`;
      if (typeof value === "string" && value !== "" && (SECRET_NAME.test(key) || SECRET_VALUE.test(value))) out.push(here);
      else findSecrets(value, here, out);
    }
  } else if (typeof node === "string" && SECRET_VALUE.test(node)) {
    out.push(path);
  }
}

/** SAS tokens, passwords and keys go in protectedSettings / protectedParameters only. */
export const secretsOnlyProtected: ResourceValidationPolicy = {
  name: "mailhost-secrets-only-in-protected-settings",
  description: "VM extensions and run commands must not carry SAS tokens, passwords or keys in plain settings or parameters; those belong in protectedSettings or protectedParameters.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    const found: string[] = [];
    if (EXTENSION_TYPE.test(args.type)) {
      findSecrets(args.props.settings, "settings", found);
    } else if (RUN_COMMAND_TYPE.test(args.type)) {
      const parameters = Array.isArray(args.props.parameters) ? args.props.parameters : [];
      for (const p of parameters) {
        const name = typeof p?.name === "string" ? p.name : "";
        if (typeof p?.value === "string" && p.value !== "" && (SECRET_NAME.test(name) || SECRET_VALUE.test(p.value))) found.push(`parameters[${name}]`);
      }
    }
    // The value itself is never part of the message.
    for (const where of found) {
      report(`${label(args.type, args.name)} carries a credential in ${where} (value not shown); move it to ${EXTENSION_TYPE.test(args.type) ? "protectedSettings" : "protectedParameters"}.`);
    }
  },
};
