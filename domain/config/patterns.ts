/**
 * Patterns of the string settings (JSON Schema `pattern`s: ECMA-262 regex text, no flags), shared by
 * the config schema and the components that take the same values as arguments.
 */

/** An Azure VM size name, e.g. Standard_D4s_v5. */
export const VM_SIZE_PATTERN = "^Standard_[A-Za-z0-9_]{1,60}$";

/** An IPv4 CIDR such as 203.0.113.0/24. */
export const CIDR_V4_PATTERN = "^((25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])/(3[0-2]|[12]?[0-9])$";

/** An absolute Windows path to a `.cfg` file; no quotes, wildcards or control characters. */
export const WINDOWS_CFG_PATH_PATTERN = '^[A-Za-z]:\\\\([^<>:"/\\\\|?*\\u0000-\\u001f]+\\\\)*[^<>:"/\\\\|?*\\u0000-\\u001f]+\\.cfg$';

/** Case-insensitive regex text for a fixed word (ARM ids are case-insensitive; JSON Schema patterns take no flags). */
function anyCase(text: string): string {
  return [...text].map((c) => (/[a-z]/i.test(c) ? `[${c.toUpperCase()}${c.toLowerCase()}]` : c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&"))).join("");
}

/** ARM id of a Log Analytics workspace: `/subscriptions/<guid>/resourceGroups/<rg>/providers/Microsoft.OperationalInsights/workspaces/<name>`. */
export const WORKSPACE_RESOURCE_ID_PATTERN = `^/${anyCase("subscriptions")}/[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}/${anyCase("resourceGroups")}/[-\\w.()]{1,90}/${anyCase("providers")}/${anyCase("Microsoft.OperationalInsights")}/${anyCase("workspaces")}/[A-Za-z0-9][A-Za-z0-9-]{2,61}[A-Za-z0-9]$`;

/**
 * An Azure region's programmatic name, as `az account list-locations --query "[].name"` prints it
 * and ARM returns it in `location`: lower-case letters and digits, no spaces (`westeurope`,
 * `eastus2`, `germanywestcentral`; not the display name "West Europe").
 */
export const AZURE_REGION_PATTERN = "^[a-z][a-z0-9]{1,39}$";

/** An e-mail address, loosely: one "@", no spaces, quotes or angle brackets, a dotted domain. */
export const EMAIL_PATTERN = '^[^@\\s"<>,;]{1,64}@[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)+$';
