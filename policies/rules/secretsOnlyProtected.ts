import type { ResourceValidationPolicy } from "@pulumi/policy";
import { label } from "../lib/resources";
import { type Carrier, type CarrierSlot, type SlotException, carrierOf } from "../lib/secretCarriers";
import { parseConfigurationParameterName } from "../../domain/machineConfiguration";
import { SECRET_NAME, holdsCredential } from "../../domain/secrets";

/** A non-empty string under a credential-like name, or any string that is or encodes a credential. */
function namedOrHoldsCredential(name: string, value: unknown): boolean {
  if (typeof value !== "string" || value === "") return false;
  return SECRET_NAME.test(name) || holdsCredential(value);
}

/** A credential found: where, and why the slot's exception (if any) did not accept it. */
interface Found {
  readonly where: string;
  readonly refused?: string;
}

/**
 * Paths under a settings object whose key names a credential or whose value holds one, at any
 * depth; a value under the slot's exception key that the exception accepts is not one.
 */
function findInSettings(node: unknown, path: string, out: Found[], exception?: SlotException): void {
  if (Array.isArray(node)) {
    node.forEach((item, i) => findInSettings(item, `${path}[${i}]`, out, exception));
  } else if (node !== null && typeof node === "object") {
    for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
      const here = `${path}.${key}`;
      if (namedOrHoldsCredential(key, value)) {
        const refused = exception !== undefined && key === exception.key && typeof value === "string" ? exception.problem(value) : "";
        if (refused === undefined) continue;
        out.push(refused === "" ? { where: here } : { where: here, refused });
      } else findInSettings(value, here, out, exception);
    }
  } else if (typeof node === "string" && node !== "" && holdsCredential(node)) {
    out.push({ where: path });
  }
}

/** Where in one slot a credential sits (empty: none). */
function findInSlot(slot: CarrierSlot, value: unknown, prefix: string): Found[] {
  const where = `${prefix}${slot.path}`;
  const out: Found[] = [];
  switch (slot.shape) {
    case "settings":
      findInSettings(value, where, out, slot.exception);
      break;
    case "parameters":
    case "configurationParameters":
      if (!Array.isArray(value)) break;
      for (const p of value) {
        const name = typeof p?.name === "string" ? p.name : "";
        // An assignment parameter is `[Type]Instance;Property`: the property is the name that counts.
        const named = slot.shape === "configurationParameters" ? (parseConfigurationParameterName(name)?.property ?? name) : name;
        if (namedOrHoldsCredential(named, p?.value)) out.push({ where: `${where}[${name}]` });
      }
      break;
    case "uri":
    case "text":
      if (typeof value === "string" && value !== "" && holdsCredential(value)) out.push({ where });
      break;
  }
  return out;
}

/** Every credential a carrier holds where it must not: its slot and the path inside it. */
export function misplacedCredentials(carrier: Carrier, props: Record<string, unknown>): Array<{ slot: CarrierSlot; where: string; refused?: string }> {
  const elements = carrier.elements?.(props) ?? [{ prefix: "", props }];
  const found: Array<{ slot: CarrierSlot; where: string; refused?: string }> = [];
  for (const element of elements) {
    for (const slot of carrier.slots) {
      if (slot.protection === "protected") continue;
      for (const f of findInSlot(slot, slot.read(element.props), element.prefix)) found.push({ slot, ...f });
    }
  }
  return found;
}

/**
 * SAS tokens, passwords and keys go in protected settings or protected parameters only, and never
 * in a guest configuration assignment. One reader for every carrier in {@link CARRIERS}; values are
 * read through every encoding the product uses (base64url, base64, JSON, percent-encoding, ...).
 */
export const secretsOnlyProtected: ResourceValidationPolicy = {
  name: "mailhost-secrets-only-in-protected-settings",
  description:
    "VM, scale-set and Arc extensions and run commands must carry SAS tokens, passwords and keys only in protectedSettings or protectedParameters (and read scripts and packages with a managed identity, not a SAS URL), in whatever encoding; guest configuration assignments must carry none at all, protected or not, because Machine Configuration has no secret management: secrets stay in Key Vault and reach the machine at run time (Key Vault VM extension or managed identity). Azure Policy definitions and assignments carry none either (Azure Policy has no secret parameter), with one stated exception: a policy definition's guest configuration contentUri may carry the read-only, https-only SAS of one content-addressed package blob that expires within a year.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    const carrier = carrierOf(args.type);
    if (carrier === undefined) return;
    // The value itself is never part of the message.
    for (const { slot, where, refused } of misplacedCredentials(carrier, args.props)) {
      // Under the slot's exception key: say what it accepts and why this one is refused.
      const remedy =
        refused !== undefined && slot.exception !== undefined ? `${slot.exception.accepted}; this one is refused because ${refused}` : carrier.remedy(slot);
      report(
        slot.protection === "never"
          ? `${label(args.type, args.name)} carries a credential in ${where} (value not shown); ${remedy}.`
          : `${label(args.type, args.name)} carries a credential in ${where} (value not shown); move it to ${remedy}.`,
      );
    }
  },
};
