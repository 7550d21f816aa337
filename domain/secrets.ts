/**
 * What a credential looks like, by name or by value, and the encodings a value can hide one in.
 * Shared by the SiteConfig renderer (no credential may travel in SiteConfig.cfg, which reaches the
 * host in plain settings) and the policy that keeps credentials out of every unprotected (or, for
 * guest configuration, every) slot of a resource that carries values to a machine.
 */
import { gunzipSync } from "node:zlib";

/** Setting names that hold credentials. */
export const SECRET_NAME = /(sas|password|passwd|pwd|secret|token|accountkey|storagekey|privatekey|apikey|connectionstring|credential)/i;

/** Values that are credentials whatever their name: SAS signatures, account keys, private keys. */
export const SECRET_VALUE = /([?&]|^)sig=[^&\s]+|AccountKey=|SharedAccessSignature=|-----BEGIN [A-Z ]*PRIVATE KEY-----/i;

/** True when a name or value looks like a credential. */
export function looksLikeCredential(name: string, value: unknown): boolean {
  return SECRET_NAME.test(name) || (typeof value === "string" && SECRET_VALUE.test(value));
}

/**
 * How deep {@link readableForms} unwraps encodings inside encodings (base64 of JSON holding a
 * base64url string is three). Values the product emits nest at most two deep.
 */
export const MAX_DECODE_DEPTH = 4;

const BASE64URL_TEXT = /^[A-Za-z0-9_-]+$/;
const BASE64_TEXT = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2,3})?$/;
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });
const utf16le = new TextDecoder("utf-16le", { fatal: true, ignoreBOM: false });

/** Text a decoded byte string may stand for: gzip (Custom Script's `script`), UTF-8, UTF-16LE (PowerShell `-EncodedCommand`). */
function textsOfBytes(bytes: Buffer): string[] {
  const out: string[] = [];
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      out.push(...textsOfBytes(gunzipSync(bytes)));
    } catch {
      /* not gzip after all */
    }
  }
  try {
    out.push(utf8.decode(bytes));
  } catch {
    /* not UTF-8 */
  }
  if (bytes.length % 2 === 0) {
    try {
      const text = utf16le.decode(bytes);
      // Only text a human (or PowerShell) reads: no control characters but tab and line breaks.
      // eslint-disable-next-line no-control-regex -- control characters are what tells decoded text from bytes
      if (!/[\u0000-\u0008\u000e-\u001f]/.test(text)) out.push(text);
    } catch {
      /* not UTF-16 */
    }
  }
  return out;
}

/** Every string (keys and values) inside a parsed JSON value. */
function stringsOfJson(node: unknown, out: string[]): void {
  if (typeof node === "string") out.push(node);
  else if (Array.isArray(node)) for (const item of node) stringsOfJson(item, out);
  else if (node !== null && typeof node === "object")
    for (const [k, v] of Object.entries(node)) {
      out.push(k);
      stringsOfJson(v, out);
    }
}

/** One level of decoding: what `value` may encode, in each encoding it is valid in. */
function decodeOnce(value: string): string[] {
  const out: string[] = [];
  const trimmed = value.trim();
  // base64url without padding (domain/guestEncoding.ts) and standard base64 with or without padding.
  if (trimmed.length >= 4 && trimmed.length % 4 !== 1) {
    if (BASE64URL_TEXT.test(trimmed)) out.push(...textsOfBytes(Buffer.from(trimmed, "base64url")));
    if (BASE64_TEXT.test(trimmed) && /[+/=]/.test(trimmed)) out.push(...textsOfBytes(Buffer.from(trimmed, "base64")));
  }
  // JSON text (settings carried as a string, a JSON-encoded parameter value).
  if (/^[[{"]/.test(trimmed)) {
    try {
      stringsOfJson(JSON.parse(trimmed), out);
    } catch {
      /* not JSON */
    }
  }
  // Percent-encoding (a SAS inside a URL's query, `sig%3D...`).
  if (/%[0-9A-Fa-f]{2}/.test(value)) {
    try {
      out.push(decodeURIComponent(value));
    } catch {
      /* a lone % */
    }
  }
  return out.filter((text) => text !== value);
}

/**
 * `value` and every text it encodes, unwrapped up to {@link MAX_DECODE_DEPTH} levels: base64url
 * (the product's `...Base64Url` values), standard base64, gzip inside base64, UTF-16LE inside
 * base64 (`-EncodedCommand`), JSON (every key and string in it) and percent-encoding. An encoding
 * must never hide a credential from the policy, whatever the value's name says.
 */
export function readableForms(value: string): string[] {
  const seen = new Set<string>([value]);
  let frontier = [value];
  for (let depth = 0; depth < MAX_DECODE_DEPTH && frontier.length > 0; depth++) {
    const next: string[] = [];
    for (const text of frontier)
      for (const decoded of decodeOnce(text))
        if (!seen.has(decoded)) {
          seen.add(decoded);
          next.push(decoded);
        }
    frontier = next;
  }
  return [...seen];
}

/**
 * True when `value`, or any text it encodes, is or holds a credential: a secret-looking value
 * anywhere, or a JSON key named like a credential with a non-empty value.
 */
export function holdsCredential(value: string): boolean {
  // Every host of a stack carries the same SiteConfig.cfg and script: decode each text once.
  const cached = verdicts.get(value);
  if (cached !== undefined) return cached;
  const verdict = readableForms(value).some((text) => SECRET_VALUE.test(text) || jsonNamesCredential(text));
  if (verdicts.size >= MAX_CACHED_VERDICTS) verdicts.clear();
  verdicts.set(value, verdict);
  return verdict;
}

/** Verdicts of {@link holdsCredential} by text; cleared when full. */
const verdicts = new Map<string, boolean>();
const MAX_CACHED_VERDICTS = 500;

/** True when `text` is JSON with, at any depth, a non-empty string under a credential-like key. */
function jsonNamesCredential(text: string): boolean {
  if (!/^\s*[[{]/.test(text)) return false;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return false;
  }
  const walk = (node: unknown): boolean => {
    if (Array.isArray(node)) return node.some(walk);
    if (node === null || typeof node !== "object") return false;
    return Object.entries(node).some(([k, v]) => (SECRET_NAME.test(k) && typeof v === "string" && v !== "") || walk(v));
  };
  return walk(parsed);
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
