/**
 * What a credential looks like, by name or by value. Shared by the SiteConfig renderer (no
 * credential may travel in SiteConfig.cfg, which reaches the host in plain settings) and the
 * policy that keeps credentials out of plain extension settings and run-command parameters.
 */

/** Setting names that hold credentials. */
export const SECRET_NAME = /(sas|password|passwd|pwd|secret|token|accountkey|storagekey|privatekey|apikey|connectionstring|credential)/i;

/** Values that are credentials whatever their name: SAS signatures, account keys, private keys. */
export const SECRET_VALUE = /([?&]|^)sig=[^&\s]+|AccountKey=|SharedAccessSignature=|-----BEGIN [A-Z ]*PRIVATE KEY-----/i;

/** True when a name or value looks like a credential. */
export function looksLikeCredential(name: string, value: unknown): boolean {
  return SECRET_NAME.test(name) || (typeof value === "string" && SECRET_VALUE.test(value));
}

/**
 * The one SAS URL a policy definition may carry: a read-only service SAS on one Machine
 * Configuration package blob, as components/EstateTuningPolicy.ts writes it for machines that have
 * no identity the store accepts (Arc-enabled servers have no user-assigned identity). Accepted only
 * when it is https, names a content-addressed zip (`<name>-<SHA-256>.zip`), is signed for that blob
 * alone (`sr=b`, no account SAS), reads only (`sp=r`), is https-only (`spr=https`) and expires within
 * `maxDays` of `now`. Returns undefined when it is such a URL, else why not (never the signature).
 */
export function packageSasProblem(uri: string, maxDays: number, now: Date = new Date()): string | undefined {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return "it is not a URL";
  }
  const q = url.searchParams;
  if (url.protocol !== "https:") return "it is not https";
  if (!/-[0-9A-Fa-f]{64}\.zip$/.test(url.pathname)) return "it does not name a content-addressed package (<name>-<SHA-256>.zip)";
  if (q.has("ss") || q.has("srt")) return "it is an account SAS (ss/srt), not a SAS on the package blob";
  if (q.get("sr") !== "b") return `it is signed for sr=${q.get("sr") ?? "(none)"}, not for the one blob (sr=b)`;
  if (q.get("sp") !== "r") return `it grants sp=${q.get("sp") ?? "(none)"}, not read only (sp=r)`;
  if (q.get("spr") !== "https") return `it allows spr=${q.get("spr") ?? "(any)"}, not https only`;
  const expiry = Date.parse(q.get("se") ?? "");
  if (Number.isNaN(expiry)) return "it has no readable expiry (se)";
  const days = (expiry - now.getTime()) / (24 * 60 * 60 * 1000);
  if (days > maxDays) return `it expires in ${Math.floor(days)} days, more than ${maxDays}`;
  return undefined;
}
