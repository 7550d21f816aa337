/** One problem with the input, located by its config key path (`mailhost:tcp.maxUserPort`). */
export interface ConfigIssue {
  /** Config key path, e.g. `mailhost:tcp.tcpTimedWaitDelay` or `mailhost:fleet.zones[1]`. */
  readonly path: string;
  /** A full sentence naming the setting, the value given and what is allowed. */
  readonly message: string;
}

/** Thrown when input is rejected; carries every problem found, not only the first. */
export class ConfigValidationError extends Error {
  constructor(
    readonly issues: readonly ConfigIssue[],
    heading = "Invalid mailhost configuration",
  ) {
    super(`${heading} (${issues.length} problem${issues.length === 1 ? "" : "s"}):\n${issues.map((i) => `  - ${i.message}`).join("\n")}`);
    this.name = "ConfigValidationError";
  }
}

/** Renders a value for a message: strings quoted (so `"301"` is told apart from `301`), secrets never. */
export function showValue(value: unknown): string {
  if (value === undefined) return "(missing)";
  if (typeof value === "string") return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
  if (typeof value === "number" || typeof value === "boolean" || value === null) return String(value);
  const json = JSON.stringify(value);
  return json.length > 80 ? `${json.slice(0, 77)}...` : json;
}
