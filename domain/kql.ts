/** KQL text shared by the Azure Monitor alert queries and the Resource Graph queries. */

/**
 * A KQL string literal: double quotes; backslash, quote and line breaks escaped, so a value never
 * reaches a query raw (Kusto "string data type": single and double quotes are alike).
 */
export function kqlString(value: string): string {
  return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\r/g, "\\r").replace(/\n/g, "\\n")}"`;
}
