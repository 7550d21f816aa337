/**
 * URNs as the Pulumi engine forms them, from the URNs of an offline run. scripts/record-urns.ts keeps
 * its own copy of this function: it is copied into older checkouts to record them, so it imports
 * nothing newer than the recorded commit.
 */

/**
 * The URN Pulumi gives each resource: the types of every ancestor below the stack, joined by `$`,
 * then the resource's type and name (the offline engine's own URNs qualify by the parent's type
 * only, and under the stack's type). The engine leaves the root stack's type out
 * (pulumi/pulumi `pkg/resource/deploy` `generateURN`). Keyed by the offline run's URN.
 */
export function pulumiUrns(
  resources: readonly { urn: string; type: string; name: string; parent?: string }[],
  stack: string,
  project = "mailhost",
): Map<string, string> {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const qualified = new Map<string, string>();
  const qualify = (r: { urn: string; type: string; parent?: string }): string => {
    let q = qualified.get(r.urn);
    if (q !== undefined) return q;
    const parent = r.parent === undefined ? undefined : byUrn.get(r.parent);
    q = parent === undefined || parent.type === "pulumi:pulumi:Stack" ? r.type : `${qualify(parent)}$${r.type}`;
    qualified.set(r.urn, q);
    return q;
  };
  return new Map(resources.map((r) => [r.urn, `urn:pulumi:${stack}::${project}::${qualify(r)}::${r.name}`]));
}
