/**
 * Renders `SiteConfig.cfg` (an INI file) from the template in `templates/` and per-environment
 * settings, with the `ini` package. Pure: the template's text is read by `content/siteConfigTemplate.ts`.
 *
 * Guarantees: the output is deterministic (same input, byte-identical text); it parses back with
 * `ini.parse` to exactly the intended sections, keys and values; no key or value can add a
 * section, a key or a comment; `MailboxCacheTTL` is never below the host's floor.
 */
import * as ini from "ini";
import { type ConfigIssue, ConfigValidationError, showValue } from "./issues";
import { looksLikeCredential } from "./secrets";
import { MAILBOX_CACHE_TTL, SITE_CONFIG_VALUE_MAX_LENGTH as MAX_VALUE_LENGTH } from "./limits";

/** Where the rendered file carries the cache TTL. */
export const SITE_CONFIG_TTL_SECTION = "Cache";
export const SITE_CONFIG_TTL_KEY = "MailboxCacheTTL";

/** A value a setting may hold in stack config. */
export type SettingValue = string | number | boolean;
/** `{ <section>: { <key>: value } }`. */
export type SiteConfigSettings = Readonly<Record<string, Readonly<Record<string, SettingValue>>>>;

/** Section and key names: a letter, digit or underscore, then letters, digits, `_`, `-` (and `.` in keys). */
export const SECTION_NAME_PATTERN = "^[A-Za-z0-9_][A-Za-z0-9_-]{0,63}$";
export const KEY_NAME_PATTERN = "^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$";
const SECTION_NAME = new RegExp(SECTION_NAME_PATTERN);
const KEY_NAME = new RegExp(KEY_NAME_PATTERN);
/** Names that JavaScript objects (and so `ini.parse`) treat specially. */
const RESERVED_NAMES = new Set(["__proto__", "constructor", "prototype"]);
/** C0 and C1 control characters, DEL, and the Unicode line and paragraph separators. */
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

const HEADER = [
  "; SiteConfig.cfg rendered by mailhost-iac. Do not edit by hand: the host's tuning restores it.",
  `; ${SITE_CONFIG_TTL_KEY} is kept at or above the host's floor.`,
];
const EOL = "\r\n";

/** Input of {@link renderSiteConfig}. */
export interface SiteConfigInput {
  /** INI text of the template. */
  readonly template: string;
  /** Per-environment overrides and additions. */
  readonly settings: SiteConfigSettings;
  /** `MailboxCacheTTL` to write, seconds. */
  readonly mailboxCacheTtl: number;
  /** The host's effective floor, seconds (see `effectiveTtlFloor`). */
  readonly ttlFloor: number;
  /** Config key path of the settings, used in messages. Defaults to `mailhost:siteConfig`. */
  readonly configPath?: string;
}

type Sections = Map<string, Map<string, string>>;

/** Problems with one section name, key name or value; empty when it is safe to write. */
export function checkSectionName(name: string, where: string): ConfigIssue[] {
  if (SECTION_NAME.test(name) && !RESERVED_NAMES.has(name)) return [];
  return [
    {
      path: where,
      message: `${where}: section name ${showValue(name)} is not allowed; use 1–64 letters, digits, "_" or "-" (no "[", "]", ".", "=", ";", spaces or control characters).`,
    },
  ];
}

export function checkKeyName(name: string, where: string): ConfigIssue[] {
  if (KEY_NAME.test(name) && !RESERVED_NAMES.has(name)) return [];
  return [
    {
      path: where,
      message: `${where}: key name ${showValue(name)} is not allowed; use 1–64 letters, digits, "_", "-" or "." (no "[", "]", "=", ";", spaces or control characters).`,
    },
  ];
}

export function checkValue(value: unknown, where: string): ConfigIssue[] {
  if (typeof value === "number") {
    return Number.isFinite(value) ? [] : [{ path: where, message: `${where} = ${showValue(value)} is not a finite number.` }];
  }
  if (typeof value === "boolean") return [];
  if (typeof value !== "string") {
    return [{ path: where, message: `${where} = ${showValue(value)} must be a string, number or boolean.` }];
  }
  if (CONTROL_CHARACTERS.test(value)) {
    return [{ path: where, message: `${where} contains a line break or control character, which could inject INI structure; it is not allowed.` }];
  }
  if (value.length > MAX_VALUE_LENGTH) {
    return [{ path: where, message: `${where} is ${value.length} characters long; at most ${MAX_VALUE_LENGTH} are allowed.` }];
  }
  // Written verbatim or not at all: the `ini` package would quote or backslash-escape a value with
  // "=", ";", "#", quotes, a leading "[" or outer spaces, which other INI readers (the mail
  // service, GetPrivateProfileString) would then read literally.
  // A lone leading quote is left as it is by the writer but taken as an opening quote by the
  // reader, so the value must also read back as written.
  if (ini.safe(value) !== value || /^['"]/.test(value) || readsBackAs(value) !== value) {
    return [
      {
        path: where,
        message: `${where} = ${showValue(value)} cannot be written verbatim to an INI file: values may not contain "=", ";" or "#", start with "[" or a quote, or have leading or trailing spaces.`,
      },
    ];
  }
  return [];
}

/** What an INI reader gets back for `value` written as `k=value` (the `ini` package's own parser). */
function readsBackAs(value: string): string {
  const parsed = ini.parse(`[s]\nk=${value}\n`) as Record<string, Record<string, unknown>>;
  return String(parsed.s?.k ?? "");
}

function normaliseParsed(value: unknown): string {
  return String(value);
}

function valueText(value: SettingValue): string {
  return typeof value === "string" ? value : String(value);
}

/** Parses the template into ordered sections; rejects anything that is not a plain section/key file. */
function parseTemplate(template: string): Sections {
  const parsed = ini.parse(template) as Record<string, unknown>;
  const sections: Sections = new Map();
  const issues: ConfigIssue[] = [];
  for (const [sectionName, body] of Object.entries(parsed)) {
    const where = `SiteConfig template [${sectionName}]`;
    if (body === null || typeof body !== "object" || Array.isArray(body)) {
      issues.push({ path: where, message: `${where}: every key of the template must sit inside a section.` });
      continue;
    }
    issues.push(...checkSectionName(sectionName, where));
    const keys = new Map<string, string>();
    for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
      issues.push(...checkKeyName(key, `${where} ${key}`));
      if (typeof value === "object" && value !== null) {
        issues.push({ path: where, message: `${where} ${key}: nested sections and arrays are not supported.` });
        continue;
      }
      issues.push(...checkValue(normaliseParsed(value), `${where} ${key}`));
      keys.set(key, normaliseParsed(value));
    }
    sections.set(sectionName, keys);
  }
  if (issues.length > 0) throw new ConfigValidationError(issues, "Invalid SiteConfig.cfg template");
  return sections;
}

/** Finds an existing name case-insensitively (Windows INI readers ignore case). */
function findName(names: Iterable<string>, wanted: string): string | undefined {
  const lower = wanted.toLowerCase();
  for (const name of names) if (name.toLowerCase() === lower) return name;
  return undefined;
}

/** Checks the per-environment settings without rendering; returns every problem. */
export function checkSiteConfigSettings(settings: SiteConfigSettings, configPath = "mailhost:siteConfig"): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const seenSections = new Map<string, string>();
  for (const [section, keys] of Object.entries(settings)) {
    const sectionPath = `${configPath}.settings.${section}`;
    issues.push(...checkSectionName(section, sectionPath));
    const twin = seenSections.get(section.toLowerCase());
    if (twin !== undefined) {
      issues.push({ path: sectionPath, message: `${sectionPath}: section ${showValue(section)} repeats ${showValue(twin)} (INI section names ignore case).` });
    }
    seenSections.set(section.toLowerCase(), section);
    if (keys === null || typeof keys !== "object" || Array.isArray(keys)) {
      issues.push({ path: sectionPath, message: `${sectionPath} must be a map of key: value.` });
      continue;
    }
    const seenKeys = new Map<string, string>();
    for (const [key, value] of Object.entries(keys)) {
      const keyPath = `${sectionPath}.${key}`;
      issues.push(...checkKeyName(key, keyPath));
      const keyTwin = seenKeys.get(key.toLowerCase());
      if (keyTwin !== undefined) {
        issues.push({ path: keyPath, message: `${keyPath}: key ${showValue(key)} repeats ${showValue(keyTwin)} (INI key names ignore case).` });
      }
      seenKeys.set(key.toLowerCase(), key);
      if (looksLikeCredential(key, value)) {
        issues.push({
          path: keyPath,
          message: `${keyPath} looks like a credential (value not shown); SiteConfig.cfg reaches the hosts in plain extension settings and run-command parameters, so credentials may not go in it.`,
        });
        continue;
      }
      if (key.toLowerCase() === SITE_CONFIG_TTL_KEY.toLowerCase()) {
        issues.push({
          path: keyPath,
          message: `${keyPath}: set ${SITE_CONFIG_TTL_KEY} with ${configPath}.mailboxCacheTtl, not in settings, so that its floor is enforced.`,
        });
        continue;
      }
      issues.push(...checkValue(value, keyPath));
    }
  }
  return issues;
}

/** Checks `MailboxCacheTTL` against the host's floor. */
export function checkMailboxCacheTtl(mailboxCacheTtl: number, ttlFloor: number, configPath = "mailhost:siteConfig"): ConfigIssue[] {
  const where = `${configPath}.mailboxCacheTtl`;
  if (!Number.isInteger(mailboxCacheTtl) || mailboxCacheTtl > MAILBOX_CACHE_TTL.max || mailboxCacheTtl < ttlFloor) {
    return [
      {
        path: where,
        message: `${where} = ${showValue(mailboxCacheTtl)} is outside ${ttlFloor}–${MAILBOX_CACHE_TTL.max} (${MAILBOX_CACHE_TTL.unit}): it must be a whole number at or above the host's ${SITE_CONFIG_TTL_KEY} floor of ${ttlFloor}.`,
      },
    ];
  }
  return [];
}

/**
 * Renders the file. Throws {@link ConfigValidationError} listing every problem when a name or
 * value is unsafe or `MailboxCacheTTL` is under the floor.
 */
export function renderSiteConfig(input: SiteConfigInput): string {
  const configPath = input.configPath ?? "mailhost:siteConfig";
  const issues = [...checkSiteConfigSettings(input.settings, configPath), ...checkMailboxCacheTtl(input.mailboxCacheTtl, input.ttlFloor, configPath)];
  if (issues.length > 0) throw new ConfigValidationError(issues, "SiteConfig.cfg cannot be rendered");

  const sections = parseTemplate(input.template);
  for (const [section, keys] of Object.entries(input.settings)) {
    const sectionName = findName(sections.keys(), section) ?? section;
    const target = sections.get(sectionName) ?? new Map<string, string>();
    sections.set(sectionName, target);
    for (const [key, value] of Object.entries(keys)) {
      target.set(findName(target.keys(), key) ?? key, valueText(value));
    }
  }
  const ttlSection = findName(sections.keys(), SITE_CONFIG_TTL_SECTION) ?? SITE_CONFIG_TTL_SECTION;
  const ttlKeys = sections.get(ttlSection) ?? new Map<string, string>();
  sections.set(ttlSection, ttlKeys);
  // Only one MailboxCacheTTL anywhere: drop any the template carries in other sections.
  for (const keys of sections.values()) {
    const existing = findName(keys.keys(), SITE_CONFIG_TTL_KEY);
    if (existing !== undefined && keys !== ttlKeys) keys.delete(existing);
  }
  ttlKeys.set(findName(ttlKeys.keys(), SITE_CONFIG_TTL_KEY) ?? SITE_CONFIG_TTL_KEY, String(input.mailboxCacheTtl));

  const intended: Record<string, Record<string, string>> = {};
  // An INI file cannot hold an empty section (ini writes no header for it): leave those out.
  for (const [section, keys] of sections) if (keys.size > 0) intended[section] = Object.fromEntries(keys);
  const body = ini.stringify(intended, { whitespace: true, platform: "win32" });
  const text = [...HEADER, "", body].join(EOL);

  assertRoundTrip(text, intended);
  return text;
}

/** Defence in depth: the rendered text must parse back to exactly the intended content. */
function assertRoundTrip(text: string, intended: Record<string, Record<string, string>>): void {
  const parsed = ini.parse(text) as Record<string, unknown>;
  const actual: Record<string, Record<string, string>> = {};
  for (const [section, body] of Object.entries(parsed)) {
    if (body === null || typeof body !== "object") throw new Error(`SiteConfig.cfg rendering produced a key outside any section: ${section}`);
    actual[section] = Object.fromEntries(Object.entries(body as Record<string, unknown>).map(([k, v]) => [k, normaliseParsed(v)]));
  }
  if (JSON.stringify(actual) !== JSON.stringify(intended)) {
    throw new Error("SiteConfig.cfg rendering did not read back as intended; refusing to write it.");
  }
}

/** Result of reading `MailboxCacheTTL` out of rendered text. */
export type TtlReading = { readonly ok: true; readonly value: number } | { readonly ok: false; readonly reason: string };

/**
 * Reads `MailboxCacheTTL` from SiteConfig text (any section, names compared without case).
 * When it appears more than once the lowest value counts, since a reader may take any of them.
 */
export function readMailboxCacheTtl(text: string): TtlReading {
  let parsed: Record<string, unknown>;
  try {
    parsed = ini.parse(text) as Record<string, unknown>;
  } catch (err) {
    return { ok: false, reason: `the text is not a parsable INI file (${(err as Error).message})` };
  }
  const found: unknown[] = [];
  const visit = (obj: Record<string, unknown>): void => {
    for (const [key, value] of Object.entries(obj)) {
      if (value !== null && typeof value === "object" && !Array.isArray(value)) visit(value as Record<string, unknown>);
      else if (key.toLowerCase() === SITE_CONFIG_TTL_KEY.toLowerCase()) found.push(value);
    }
  };
  visit(parsed);
  if (found.length === 0) return { ok: false, reason: `${SITE_CONFIG_TTL_KEY} is missing` };
  const numbers: number[] = [];
  for (const raw of found) {
    const text = Array.isArray(raw) ? "" : String(raw).trim();
    if (!/^\d{1,9}$/.test(text)) return { ok: false, reason: `${SITE_CONFIG_TTL_KEY} = ${showValue(raw)} is not a whole number of seconds` };
    numbers.push(Number(text));
  }
  return { ok: true, value: Math.min(...numbers) };
}
