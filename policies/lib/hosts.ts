/** Mail host VMs and the tuning resources that apply to them, for the stack policies. */
import type { PolicyResource } from "@pulumi/policy";
import { VIRTUAL_MACHINE_TYPE, carriesTuning } from "./resources";
import { known } from "./unknown";

export function isVirtualMachine(resource: PolicyResource): boolean {
  return VIRTUAL_MACHINE_TYPE.test(resource.type);
}

/** The Azure name of a VM, when known. */
export function vmName(vm: PolicyResource): string | undefined {
  const name = known(() => vm.props.vmName ?? vm.props.name);
  return name.ok && typeof name.value === "string" ? name.value : undefined;
}

/** Tuning resources of the stack: extensions and run commands that carry a tuning value. */
export function tuningResources(resources: readonly PolicyResource[]): PolicyResource[] {
  return resources.filter((r) => {
    const carries = known(() => carriesTuning(r.type, r.props));
    return carries.ok && carries.value;
  });
}

/** VMs looked up by URN and by Azure name (lower case), built once per stack check. */
export interface VmIndex {
  readonly byUrn: ReadonlyMap<string, PolicyResource>;
  readonly byName: ReadonlyMap<string, PolicyResource[]>;
}

export function indexVms(vms: readonly PolicyResource[]): VmIndex {
  const byUrn = new Map<string, PolicyResource>();
  const byName = new Map<string, PolicyResource[]>();
  for (const vm of vms) {
    byUrn.set(vm.urn, vm);
    const name = vmName(vm)?.toLowerCase();
    if (name !== undefined) byName.set(name, [...(byName.get(name) ?? []), vm]);
  }
  return { byUrn, byName };
}

/**
 * The VMs a tuning resource applies to: through the property dependency of its `vmName`, else
 * its `vmName` text, else its explicit dependencies.
 */
export function targetVms(tuning: PolicyResource, vms: VmIndex): PolicyResource[] {
  const lookUp = (deps: readonly PolicyResource[] | undefined) =>
    (deps ?? []).map((d) => vms.byUrn.get(d.urn)).filter((vm): vm is PolicyResource => vm !== undefined);
  const viaProperty = lookUp(tuning.propertyDependencies?.vmName);
  if (viaProperty.length > 0) return viaProperty;
  const name = known(() => tuning.props.vmName);
  if (name.ok && typeof name.value === "string") {
    const byName = vms.byName.get(name.value.toLowerCase()) ?? [];
    if (byName.length > 0) return byName;
  }
  return lookUp(tuning.dependencies);
}
