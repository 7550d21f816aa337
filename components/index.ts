/**
 * mailhost-iac as a library: the components a Pulumi program builds mail hosts with. The numeric
 * limits every setting is checked against are the entry point `mailhost-iac/limits`.
 * See docs/LIBRARY.md.
 */
export { MailhostFleet, type MailhostFleetArgs } from "./MailhostFleet";
export { MailhostFleetInNetwork, type MailhostFleetInNetworkArgs, RESOURCE_GROUP_ID_PATTERN, SUBNET_ID_PATTERN } from "./MailhostFleetInNetwork";
export { ExistingVmTuning, type ExistingVmTuningArgs, VM_RESOURCE_ID_PATTERN } from "./ExistingVmTuning";
export { GuestContentStore, type GuestContentStoreArgs, type PublishedPackage, PACKAGE_CONTAINER, DSC_CONTAINER } from "./GuestContentStore";
export { PortExhaustionMonitoring, type PortExhaustionMonitoringArgs } from "./PortExhaustionMonitoring";
export type { CapacitySettings, EgressSettings, FleetSettings, MonitoringSettings, SiteConfigSettings, TcpSettings } from "./settings";
export type { MailhostStackOutputs } from "./stackOutputs";
export type { TuningMechanism, WindowsVersion } from "../domain/config";
export { GUEST_MODULE, DSC_CONFIGURATION, RUN_COMMAND_SCRIPT, COLLECTOR_SCRIPT } from "./guestScripts";
export { type StackSettingName, type StackSettings, type StackSettingsOptions, requireStackSettings, stackSettings } from "./stackSettings";
