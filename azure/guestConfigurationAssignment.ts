/**
 * A VM's guest configuration assignment as ARM holds it, and the body that re-sends it unchanged
 * (`mailhost drift --remediate` with Machine Configuration).
 */

/**
 * API version of `Microsoft.GuestConfiguration/guestConfigurationAssignments` the client reads and
 * writes: the one `@pulumi/azure-native` 3.28 deploys the assignment with (REST spec
 * `specification/guestconfiguration/.../stable/2024-04-05`).
 */
export const GUEST_CONFIGURATION_API_VERSION = "2024-04-05";

/**
 * The writable part of a guest configuration assignment, as a CreateOrUpdate (PUT) takes it
 * (REST spec example `createOrUpdateGuestConfigurationAssignment.json`, 2024-04-05).
 */
export interface GuestConfigurationAssignmentBody {
  readonly name: string;
  readonly location: string;
  readonly properties: {
    readonly context?: string;
    readonly guestConfiguration: {
      readonly name: string;
      readonly version?: string;
      readonly contentUri: string;
      readonly contentHash: string;
      readonly contentManagedIdentity?: string;
      readonly assignmentType?: string;
      readonly configurationParameter?: ReadonlyArray<{ readonly name: string; readonly value: string }>;
    };
  };
}

/**
 * The PUT body that re-sends an assignment exactly as Azure holds it: its writable fields only
 * (the read-only ones, such as complianceStatus and latestAssignmentReport, are left out).
 * Throws, sending nothing, when the assignment cannot be re-sent unchanged: no contentUri or
 * contentHash in the answer, or protected parameters, whose values ARM never returns (a PUT
 * without them would remove them).
 */
export function resendBodyOf(assignment: unknown, vm: string): GuestConfigurationAssignmentBody {
  const a = (assignment ?? {}) as { name?: unknown; location?: unknown; properties?: { context?: unknown; guestConfiguration?: Record<string, unknown> } };
  const gc = a.properties?.guestConfiguration ?? {};
  const text = (v: unknown) => (typeof v === "string" && v !== "" ? v : undefined);
  const name = text(a.name);
  const location = text(a.location);
  const configurationName = text(gc.name);
  const contentUri = text(gc.contentUri);
  const contentHash = text(gc.contentHash);
  const missing = [
    !name && "name",
    !location && "location",
    !configurationName && "guestConfiguration.name",
    !contentUri && "guestConfiguration.contentUri",
    !contentHash && "guestConfiguration.contentHash",
  ].filter(Boolean);
  if (missing.length > 0)
    throw new Error(
      `the guest configuration assignment of ${vm} cannot be re-sent unchanged: Azure returned no ${missing.join(", ")}; run \`pulumi up\` instead`,
    );
  const protectedParameters = gc.configurationProtectedParameter;
  if (Array.isArray(protectedParameters) && protectedParameters.length > 0) {
    throw new Error(
      `the guest configuration assignment of ${vm} has protected parameters, whose values Azure never returns: re-sending it would remove them; run \`pulumi up\` instead`,
    );
  }
  const parameters = Array.isArray(gc.configurationParameter)
    ? (gc.configurationParameter as Array<{ name?: unknown; value?: unknown }>).map((p) => ({ name: String(p.name ?? ""), value: String(p.value ?? "") }))
    : undefined;
  return {
    name: name!,
    location: location!,
    properties: {
      ...(text(a.properties?.context) ? { context: text(a.properties?.context) } : {}),
      guestConfiguration: {
        name: configurationName!,
        ...(text(gc.version) ? { version: text(gc.version) } : {}),
        contentUri: contentUri!,
        contentHash: contentHash!,
        ...(text(gc.contentManagedIdentity) ? { contentManagedIdentity: text(gc.contentManagedIdentity) } : {}),
        ...(text(gc.assignmentType) ? { assignmentType: text(gc.assignmentType) } : {}),
        ...(parameters ? { configurationParameter: parameters } : {}),
      },
    },
  };
}
