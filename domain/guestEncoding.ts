/**
 * How text crosses to a Windows guest when it travels as a Run Command parameter.
 *
 * Run Command hands its `{name, value}` parameters to the script on a Windows command line: a
 * space splits a value, cmd's special characters (`^ & % < > | "`) are eaten or end it, `, ; = !`
 * separate or vanish, and a line break cannot pass at all (Azure docs, "Run scripts in your Windows
 * VM by using action Run Command": parameters are passed as named arguments of the script).
 * Everything that is not plain digits therefore travels as base64url (RFC 4648 section 5: the
 * alphabet `A-Z a-z 0-9 - _`) of its UTF-8 bytes, without `=` padding, in a parameter whose name
 * ends in `Base64Url`; the guest decodes it and verifies it (the SHA-256 of SiteConfig.cfg).
 *
 * base64url of UTF-8 text never starts with `-`: that needs a first byte of 0xF8–0xFB, which
 * UTF-8 never uses, so PowerShell's binder can never take a value for a parameter name.
 */

/** Characters of base64url (RFC 4648 section 5). */
export const BASE64URL_PATTERN = "^[A-Za-z0-9_-]*$";
const BASE64URL = new RegExp(BASE64URL_PATTERN);

/**
 * A value that survives any Windows command line: letters, digits, `-` and `_` (base64url, hex
 * hashes, decimal numbers). Every Run Command parameter the project sends matches it.
 */
export const COMMAND_LINE_SAFE_PATTERN = "^[A-Za-z0-9_-]+$";
const COMMAND_LINE_SAFE = new RegExp(COMMAND_LINE_SAFE_PATTERN);

/** True when `value` is non-empty and uses only letters, digits, `-` and `_`. */
export function isCommandLineSafe(value: string): boolean {
  return COMMAND_LINE_SAFE.test(value);
}

/** base64url (RFC 4648 section 5) of the UTF-8 bytes of `text`, without padding. */
export function toBase64Url(text: string): string {
  return Buffer.from(text, "utf8").toString("base64url");
}

/**
 * Decodes {@link toBase64Url}. Throws `Error` when `encoded` has a character outside the
 * base64url alphabet (padding `=` included), has an impossible length (4n+1 characters), carries
 * bits that a canonical encoder leaves zero, or decodes to bytes that are not UTF-8.
 */
export function fromBase64Url(encoded: string): string {
  if (!BASE64URL.test(encoded)) {
    const bad = [...encoded].find((c) => !/[A-Za-z0-9_-]/.test(c)) ?? "";
    throw new Error(`not base64url: character ${JSON.stringify(bad)} is outside A-Z a-z 0-9 - _`);
  }
  if (encoded.length % 4 === 1) throw new Error(`not base64url: ${encoded.length} characters is not a possible length`);
  const bytes = Buffer.from(encoded, "base64url");
  if (bytes.toString("base64url") !== encoded) throw new Error("not base64url: the trailing bits are not those of a canonical encoding");
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new Error("not base64url of UTF-8 text: the decoded bytes are not valid UTF-8");
  }
}
