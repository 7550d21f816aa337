/**
 * Rules of the secret keys (`adminPassword`, `alertWebhookUrl`), which stay outside the schema so
 * that no message, issue or log ever shows their values.
 */
import { type ConfigIssue } from "../issues";
import { ADMIN_PASSWORD, WEBHOOK_URL_MAX_LENGTH } from "../limits";
import { ALERT_WEBHOOK_URL_KEY, configKeyPath } from "./keys";

/** Problems with the secret alert webhook URL (optional), without ever showing it. */
export function alertWebhookUrlIssues(url: string | undefined): ConfigIssue[] {
  if (url === undefined) return [];
  const path = configKeyPath([ALERT_WEBHOOK_URL_KEY]);
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (parsed === undefined || parsed.protocol !== "https:" || url.length > WEBHOOK_URL_MAX_LENGTH || /\s/.test(url)) {
    return [
      {
        path,
        message: `${path} (secret, value not shown) must be an https:// URL of at most ${WEBHOOK_URL_MAX_LENGTH} characters; set it with \`pulumi config set --secret ${path}\`.`,
      },
    ];
  }
  return [];
}

/** Problems with the admin password, without ever showing it. */
export function adminPasswordIssues(password: string | undefined): ConfigIssue[] {
  const path = configKeyPath(["adminPassword"]);
  if (password === undefined || password === "") {
    return [{ path, message: `${path} is missing; set it with \`pulumi config set --secret ${path}\`.` }];
  }
  const issues: ConfigIssue[] = [];
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((re) => re.test(password)).length;
  if (password.length < ADMIN_PASSWORD.minLength || password.length > ADMIN_PASSWORD.maxLength || classes < ADMIN_PASSWORD.characterClasses) {
    issues.push({
      path,
      message: `${path} (secret, value not shown) must be ${ADMIN_PASSWORD.minLength}–${ADMIN_PASSWORD.maxLength} characters with at least ${ADMIN_PASSWORD.characterClasses} of: lower case, upper case, digit, symbol.`,
    });
  }
  return issues;
}
