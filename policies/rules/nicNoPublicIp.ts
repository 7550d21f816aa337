import type { ResourceValidationPolicy } from "@pulumi/policy";
import { NETWORK_INTERFACE_TYPE, VIRTUAL_MACHINE_TYPE, label } from "../lib/resources";

/** Mail hosts are reached privately: no NIC (or VM-embedded NIC configuration) gets a public IP. */
export const nicNoPublicIp: ResourceValidationPolicy = {
  name: "mailhost-nic-no-public-ip",
  description: "A mail host's network interface must not have a public IP address; reach hosts through private networks, Azure Bastion or Run Command.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    if (NETWORK_INTERFACE_TYPE.test(args.type)) {
      const configs = Array.isArray(args.props.ipConfigurations) ? args.props.ipConfigurations : [];
      configs.forEach((c: Record<string, unknown>, i: number) => {
        if (c?.publicIPAddress)
          report(`${label(args.type, args.name)} attaches a public IP address in ipConfigurations[${i}] (${String(c.name ?? i)}); mail hosts must have none.`);
      });
    } else if (VIRTUAL_MACHINE_TYPE.test(args.type)) {
      const nics = args.props.networkProfile?.networkInterfaceConfigurations;
      for (const nic of Array.isArray(nics) ? nics : []) {
        for (const ip of Array.isArray(nic?.ipConfigurations) ? nic.ipConfigurations : []) {
          if (ip?.publicIPAddressConfiguration)
            report(
              `${label(args.type, args.name)} gives its network interface configuration "${String(nic.name)}" a public IP address; mail hosts must have none.`,
            );
        }
      }
    }
  },
};
