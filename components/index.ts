/**
 * mailhost-iac as a library: the components a Pulumi program builds mail hosts with. The numeric
 * limits every setting is checked against are the entry point `mailhost-iac/limits`.
 * See docs/LIBRARY.md. The same module is the component plugin's entry (`package.json` `main`):
 * Pulumi serves every component exported here to other languages (docs/LANGUAGES.md).
 */
export { MailhostFleet, type MailhostFleetArgs } from "./MailhostFleet";
export { MailhostFleetInNetwork, type MailhostFleetInNetworkArgs, RESOURCE_GROUP_ID_PATTERN, SUBNET_ID_PATTERN } from "./MailhostFleetInNetwork";
export type { FleetComponentArgs } from "./fleetArgs";
export { ExistingVmTuning, type ExistingVmTuningArgs, VM_RESOURCE_ID_PATTERN } from "./ExistingVmTuning";
export {
  GuestContentStore,
  type GuestContentStoreArgs,
  type GuestContentStoreReference,
  type PublishedPackage,
  PACKAGE_CONTAINER,
  DSC_CONTAINER,
} from "./GuestContentStore";
export { PortExhaustionMonitoring, type PortExhaustionMonitoringArgs } from "./PortExhaustionMonitoring";
export {
  EstateTuningPolicy,
  type EstateTuningPolicyArgs,
  type EstateScope,
  type EstateTag,
  type EstatePolicyIdentity,
  EstateIdentityType,
  PolicyEnforcementMode,
  defaultPackageSasExpiry,
} from "./EstateTuningPolicy";
export {
  type AlertThresholds,
  type AutoReusePortRangeSettings,
  type CapacitySettings,
  type DynamicPortRangeSettings,
  type EgressSettings,
  type FleetSettings,
  type HostSettings,
  type MonitoringAlertSettings,
  type MonitoringSettings,
  type SiteConfigSettings,
  type TcpSettings,
  type TcpValues,
  AlertWindowMinutes,
  AvailabilityZone,
  CorrectionWindowMinutes,
  EgressKind,
  TuningMechanism,
  WindowsVersion,
} from "./settings";
export type { MailhostStackOutputs } from "./stackOutputs";
export { GUEST_MODULE, DSC_CONFIGURATION, RUN_COMMAND_SCRIPT, COLLECTOR_SCRIPT } from "./guestScripts";
export { type StackSettingName, type StackSettings, type StackSettingsOptions, requireStackSettings, stackSettings } from "./stackSettings";
