/**
 * Reading the SiteConfig.cfg a tuning resource writes: the `SiteConfigContentBase64Url` value it
 * carries (a run-command parameter or a DSC configuration argument), decoded from base64url and
 * parsed as INI for `MailboxCacheTTL`.
 */
import { fromBase64Url } from "../../domain/guestEncoding";
import { SITE_CONFIG_CONTENT_PARAMETER } from "../../domain/plan";
import { type TtlReading, readMailboxCacheTtl } from "../../domain/siteconfig";
import { findValues } from "./resources";

/** `MailboxCacheTTL` of one SiteConfig.cfg a resource carries, with where it was found. */
export interface CarriedTtl {
  /** Property path, e.g. `parameters[SiteConfigContentBase64Url]`. */
  readonly where: string;
  readonly protected: boolean;
  readonly ttl: TtlReading;
}

/** Decodes a carried value and reads `MailboxCacheTTL` from it; the reason says what failed. */
export function ttlOfEncodedSiteConfig(value: unknown): TtlReading {
  if (typeof value !== "string")
    return { ok: false, reason: `the value is not base64url text of a SiteConfig.cfg (it is ${value === null ? "null" : typeof value})` };
  let text: string;
  try {
    text = fromBase64Url(value);
  } catch (err) {
    return { ok: false, reason: `the value cannot be decoded (${(err as Error).message})` };
  }
  return readMailboxCacheTtl(text);
}

/** Every SiteConfig.cfg the resource carries, read for `MailboxCacheTTL` (empty when it carries none). */
export function carriedTtls(type: string, props: Record<string, unknown>): CarriedTtl[] {
  return findValues(type, props, SITE_CONFIG_CONTENT_PARAMETER).map((found) => ({
    where: found.where,
    protected: found.protected,
    ttl: ttlOfEncodedSiteConfig(found.value),
  }));
}
