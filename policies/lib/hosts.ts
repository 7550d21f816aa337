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

/**
 * The VMs a tuning resource applies to: through the property dependency of its `vmName`, else
 * its `vmName` text, else its explicit dependencies.
 */
export function targetVms(tuning: PolicyResource, vms: readonly PolicyResource[]): PolicyResource[] {
  const viaProperty = (tuning.propertyDependencies?.vmName ?? []).filter((d) => vms.some((vm) => vm.urn === d.urn));
  if (viaProperty.length > 0) return viaProperty;
  const name = known(() => tuning.props.vmName);
  if (name.ok && typeof name.value === "string") {
    const wanted = name.value.toLowerCase();
    const byName = vms.filter((vm) => vmName(vm)?.toLowerCase() === wanted);
    if (byName.length > 0) return byName;
  }
  return (tuning.dependencies ?? []).filter((d) => vms.some((vm) => vm.urn === d.urn));
}
