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
