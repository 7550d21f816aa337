import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { indexVms, isVirtualMachine, targetVms, tuningResources, vmName } from "../lib/hosts";
import { label } from "../lib/resources";

/** Every mail host VM has exactly one tuning resource: none escapes tuning, none gets two. */
export const oneTuningPerVm: StackValidationPolicy = {
  name: "mailhost-vm-has-one-tuning",
  description:
    "Every virtual machine of a mail host stack must have exactly one tuning resource (the DSC extension or the run command that sets MaxUserPort, TcpTimedWaitDelay and the dynamic port range): none may escape tuning and none may carry two that could conflict.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const vms = args.resources.filter(isVirtualMachine);
    const index = indexVms(vms);
    // One pass over the tuning resources: linear in the size of the stack.
    const tuningsOf = new Map<string, PolicyResource[]>();
    for (const tuning of tuningResources(args.resources)) {
      for (const vm of targetVms(tuning, index)) tuningsOf.set(vm.urn, [...(tuningsOf.get(vm.urn) ?? []), tuning]);
    }
    for (const vm of vms) {
      const mine = tuningsOf.get(vm.urn) ?? [];
      const who = `VirtualMachine "${vmName(vm) ?? vm.name}"`;
      if (mine.length === 0) {
        report(`${who} has no tuning resource: nothing sets its MaxUserPort, TcpTimedWaitDelay and dynamic port range, so it keeps Windows' defaults.`, vm.urn);
      } else if (mine.length > 1) {
        report(
          `${who} has ${mine.length} tuning resources (${mine.map((t) => label(t.type, t.name)).join(", ")}); exactly one may set its port tuning.`,
          vm.urn,
        );
      }
    }
  },
};
