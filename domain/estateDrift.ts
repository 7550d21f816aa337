/**
 * Drift and reboots across a subscription or management group: every machine that carries the
 * `MailhostTcpTuning` assignment or the mail host tag, Azure VMs and Arc-enabled servers, read
 * from Azure Resource Graph in one paged query sequence (the `resources` table for the machines
 * and their tags, `guestconfigurationresources` for the assignments, as one `union`). Pure: no I/O.
 *
 * Arc machines: the Microsoft.HybridCompute REST API (stable 2024-07-10) has no restart action on
 * `machines` (its machine operations are create, update, delete, get, list, assessPatches and
 * installPatches), so `mailhost reboot --scope` lists them as needing a manual restart.
 */
import {
  ASSIGNMENT_TYPE,
  type AssignmentRow,
  type ExpectedAssignment,
  GUEST_CONFIGURATION_TABLE,
  type GraphHostVerdict,
  MACHINE_CONFIGURATION_NAME,
  judgeAssignment,
} from "./graphDrift";
import { kqlString } from "./kql";
import { STACK_TAG, type TuningPlan } from "./plan";

/** Resource Graph's types of the machines the estate policy tunes (lower case, as Resource Graph spells them). */
export const AZURE_VM_TYPE = "microsoft.compute/virtualmachines";
export const ARC_MACHINE_TYPE = "microsoft.hybridcompute/machines";

/** A subscription (GUID) or a management group, as `--scope` names it. */
export type DriftScope = { readonly kind: "subscription"; readonly id: string } | { readonly kind: "managementGroup"; readonly id: string };

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Parses `--scope`: `/subscriptions/<guid>`, a bare subscription GUID, or
 * `/providers/Microsoft.Management/managementGroups/<id>`. Throws an Error naming the value otherwise.
 */
export function parseScope(text: string): DriftScope {
  const t = text.trim().replace(/\/+$/, "");
  const sub = /^(?:\/subscriptions\/)?([0-9a-fA-F-]{36})$/.exec(t);
  if (sub && GUID.test(sub[1])) return { kind: "subscription", id: sub[1].toLowerCase() };
  const mg = /^\/providers\/Microsoft\.Management\/managementGroups\/([A-Za-z0-9_().-]{1,90})$/i.exec(t);
  if (mg) return { kind: "managementGroup", id: mg[1] };
  throw new Error(`--scope = ${JSON.stringify(text)} is neither /subscriptions/<subscription id> nor /providers/Microsoft.Management/managementGroups/<id>`);
}

/** A row of the scope query: a machine (from `resources`) or an assignment (from `guestconfigurationresources`). */
export interface ScopeRow extends AssignmentRow {
  readonly tags?: Record<string, string> | null;
  readonly zones?: readonly string[] | null;
  readonly location?: string;
}

/**
 * The one query of a scope: the Windows machines that carry the mail host tag or the stack tag,
 * and every `MailhostTcpTuning` assignment, in one `union` ordered by `id` (stable paging). Table
 * columns keep their names (`project` only drops columns).
 */
export function scopeQuery(tag: { name: string; value: string }): string {
  return [
    "resources",
    `| where type in~ (${kqlString(AZURE_VM_TYPE)}, ${kqlString(ARC_MACHINE_TYPE)})`,
    `| where tostring(tags[${kqlString(tag.name)}]) =~ ${kqlString(tag.value)} or isnotempty(tostring(tags[${kqlString(STACK_TAG)}]))`,
    "| project id, name, type, resourceGroup, subscriptionId, location, tags, zones",
    `| union (${GUEST_CONFIGURATION_TABLE}`,
    `    | where type =~ ${kqlString(ASSIGNMENT_TYPE)}`,
    `    | where name =~ ${kqlString(MACHINE_CONFIGURATION_NAME)}`,
    "    | project id, name, type, resourceGroup, subscriptionId, properties)",
    "| order by id asc",
  ].join("\n");
}

/** Where a machine comes from. */
export type MachineKind = "azure-vm" | "arc";

/** One machine of the scope, judged. */
export interface ScopeMachine {
  readonly id: string;
  readonly name: string;
  readonly kind: MachineKind;
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  /** The stack that created it (its `mailhost-stack` tag), or undefined: outside any stack. */
  readonly stack?: string;
  /** Availability zone (Azure VMs). */
  readonly zone?: string;
  /** Carries the mail host tag. */
  readonly tagged: boolean;
  /** Carries the MailhostTcpTuning assignment. */
  readonly assigned: boolean;
  readonly verdict: GraphHostVerdict;
}

const lower = (s: string | undefined) => (s ?? "").toLowerCase();

/** The machine an assignment row belongs to: `targetResourceId`, else the part of `id` before the provider. */
export function assignmentMachineId(row: AssignmentRow): string {
  return lower(row.properties?.targetResourceId ?? row.id.split(/\/providers\/Microsoft\.GuestConfiguration\//i)[0]);
}

export interface ScopeJudgeOptions {
  readonly tag: { readonly name: string; readonly value: string };
  /** The desired state: the plan the estate policy and the named stack were deployed from. */
  readonly tuning: TuningPlan;
  readonly expected: ExpectedAssignment;
  /** The stack whose plan `tuning` is; other stacks' hosts are judged on compliance only. */
  readonly stack?: string;
  readonly now: number;
  readonly maxAgeMinutes?: number;
}

/**
 * Judges every machine of the scope from the query's rows:
 * - a machine with its assignment: the same verdict as a stack host (`judgeAssignment`), against
 *   the plan's package and parameters; a host of another stack is judged on its compliance only
 *   (that stack's plan is not loaded here), and says so;
 * - a machine with the tag and no assignment: `unknown`, listed as tagged but unassigned (the
 *   policy has not remediated it yet); a stack's host without one is `unknown` too (its stack
 *   tunes it with another mechanism: the CLI leaves it to `mailhost drift --stack`);
 * - an assignment whose machine is not in the rows (no tag, or another type): judged, its machine
 *   named from the assignment, outside any stack as far as the rows show.
 */
export function judgeScope(rows: readonly ScopeRow[], options: ScopeJudgeOptions): ScopeMachine[] {
  const machines = new Map<string, ScopeRow>();
  const assignments = new Map<string, AssignmentRow>();
  for (const row of rows) {
    const type = lower(row.type);
    if (type === AZURE_VM_TYPE || type === ARC_MACHINE_TYPE) machines.set(lower(row.id), row);
    else if (type === ASSIGNMENT_TYPE) assignments.set(assignmentMachineId(row), row);
  }
  const ids = [...new Set([...machines.keys(), ...assignments.keys()])].sort();
  return ids.map((id): ScopeMachine => {
    const machine = machines.get(id);
    const assignment = assignments.get(id);
    const tags = Object.fromEntries(Object.entries(machine?.tags ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    const stack = tags[STACK_TAG] || undefined;
    const tagged = lower(tags[options.tag.name.toLowerCase()]) === lower(options.tag.value);
    const kind: MachineKind = /\/providers\/microsoft\.hybridcompute\/machines\//i.test(id) ? "arc" : "azure-vm";
    const parts = id.split("/");
    const name = machine?.name ?? parts[parts.length - 1];
    const compareValues = stack === undefined || stack === options.stack;
    let verdict: GraphHostVerdict;
    if (assignment === undefined) {
      verdict = {
        status: "unknown",
        reason:
          stack !== undefined
            ? `no ${MACHINE_CONFIGURATION_NAME} assignment: its stack ${stack} has not tuned it through Machine Configuration (see \`mailhost drift --stack ${stack}\`)`
            : `carries ${options.tag.name}=${options.tag.value} but no ${MACHINE_CONFIGURATION_NAME} assignment yet: Azure Policy evaluates new machines within about 15 minutes and deploys it; for machines that existed before the assignment, start a remediation task`,
        settings: [],
        rebootPending: false,
      };
    } else {
      verdict = judgeAssignment(assignment, options.tuning, compareValues ? options.expected : undefined, {
        now: options.now,
        maxAgeMinutes: options.maxAgeMinutes,
      });
      // The estate policy was deployed from the named stack's plan: say what to update when its values differ.
      if (stack === undefined && verdict.reason !== undefined)
        verdict = {
          ...verdict,
          reason: verdict.reason.replace(
            "apply the stack (pulumi up) first",
            "update the EstateTuningPolicy from this plan (pulumi up) and let Azure Policy deploy it again",
          ),
        };
      if (!compareValues && verdict.status !== "unknown")
        verdict = {
          ...verdict,
          reason: `compliance only: the values of stack ${stack} were not compared (check them with \`mailhost drift --stack ${stack}\`)`,
        };
    }
    return {
      id: machine?.id ?? id,
      name,
      kind,
      subscriptionId: machine?.subscriptionId ?? parts[2] ?? "",
      resourceGroup: machine?.resourceGroup ?? parts[4] ?? "",
      stack,
      zone: machine?.zones?.[0] ?? undefined,
      tagged,
      assigned: assignment !== undefined,
      verdict,
    };
  });
}
