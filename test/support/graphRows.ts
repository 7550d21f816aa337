/**
 * Rows of Resource Graph's `guestconfigurationresources` table for tests, shaped after the
 * `Microsoft.GuestConfiguration` REST examples (getGuestConfigurationAssignment.json and
 * getGuestConfigurationAssignmentReportById.json, API 2024-04-05) with the standard Resource
 * Graph columns (`id`, `name`, `type`, `resourceGroup`, `subscriptionId`, `properties`).
 */
import { ASSIGNMENT_TYPE, type AssignmentReason, type AssignmentRow, type ExpectedAssignment, MACHINE_CONFIGURATION_NAME } from "../../domain/graphDrift";

export interface RowChange {
  complianceStatus?: string;
  lastComplianceStatusChecked?: string | null;
  contentHash?: string;
  parameters?: Record<string, string>;
  reasons?: AssignmentReason[];
  /** `resourceId` of the report's resource (the MOF ResourceID; or Azure's "Invalid assignment package."). */
  resourceId?: string;
  /** The report carries no per-resource result (`resources: []`). */
  noResources?: boolean;
  /** The row has no `configurationParameter` at all. */
  noParameterList?: boolean;
}

/** One assignment row for VM `vm` of `resourceGroup`, as the plan expects it unless changed. */
export function assignmentRow(
  subscription: string,
  resourceGroup: string,
  vm: string,
  expected: ExpectedAssignment,
  evaluatedAt: string,
  change: RowChange = {},
): AssignmentRow {
  const vmId = `/subscriptions/${subscription}/resourceGroups/${resourceGroup}/providers/Microsoft.Compute/virtualMachines/${vm}`;
  const status = change.complianceStatus ?? "Compliant";
  const reasons = change.reasons ?? [];
  return {
    id: `${vmId}/providers/Microsoft.GuestConfiguration/guestConfigurationAssignments/${MACHINE_CONFIGURATION_NAME}`,
    name: MACHINE_CONFIGURATION_NAME,
    type: ASSIGNMENT_TYPE,
    resourceGroup: resourceGroup.toLowerCase(),
    subscriptionId: subscription,
    properties: {
      complianceStatus: status,
      lastComplianceStatusChecked: change.lastComplianceStatusChecked === undefined ? evaluatedAt : change.lastComplianceStatusChecked,
      targetResourceId: vmId,
      guestConfiguration: {
        name: MACHINE_CONFIGURATION_NAME,
        contentHash: change.contentHash ?? expected.contentHash,
        assignmentType: "ApplyAndAutoCorrect",
        ...(change.noParameterList
          ? {}
          : { configurationParameter: Object.entries(change.parameters ?? expected.parameters).map(([name, value]) => ({ name, value })) }),
      },
      latestAssignmentReport:
        status === "Pending"
          ? null
          : {
              complianceStatus: status,
              resources: change.noResources
                ? []
                : [
                    {
                      resourceId: change.resourceId ?? `[${MACHINE_CONFIGURATION_NAME}]${MACHINE_CONFIGURATION_NAME}`,
                      complianceStatus: status === "Compliant",
                      reasons: reasons.length > 0 || status !== "Compliant" ? reasons : [{ code: "DSC::RESOURCE::SUCCESS", phrase: "Operation successful." }],
                    },
                  ],
            },
    },
  };
}
