/**
 * The Azure Resource Manager operations the drift check uses, through the `@azure/arm-compute`
 * SDK and its pipeline (retries on 429 with Retry-After and on 5xx, long-running operations):
 * list a resource group's VMs, read a VM's power state and agent status, run a PowerShell script
 * through the action Run Command, bump an extension's `forceUpdateTag`, and restart a VM (`mailhost reboot`).
 */
import type { TokenCredential } from "@azure/core-auth";
// Type only: the SDK is loaded when a client is made, so `mailhost check` and `--help` never pay for it.
import type { ComputeManagementClient } from "@azure/arm-compute";

/** Poll interval of long-running operations (a Run Command takes at least about 20 s). */
export const DEFAULT_POLL_INTERVAL_MS = 5_000;

/** Azure public cloud's ARM endpoint. */
export const PUBLIC_ARM_ENDPOINT = "https://management.azure.com";

export interface ArmOptions {
  readonly subscriptionId: string;
  /** ARM endpoint (sovereign clouds, stand-ins). Defaults to the public cloud. */
  readonly endpoint?: string;
  /** Defaults to {@link defaultCredential}. */
  readonly credential?: TokenCredential;
  /** Extra trusted CA (PEM) for the endpoint's TLS certificate; `NODE_EXTRA_CA_CERTS` does the same for a whole process. */
  readonly tlsCa?: string;
  /** Retries of a request answered 429 or 5xx (or not answered). Defaults to 4. */
  readonly maxRetries?: number;
  /** First retry delay when no Retry-After is given, ms; doubles each time. Defaults to 1000. */
  readonly retryDelayMs?: number;
  /** Poll interval of long-running operations, ms. Defaults to 5000. */
  readonly pollIntervalMs?: number;
}

/** A VM of the resource group. */
export interface ArmVm {
  readonly name: string;
  readonly tags: Readonly<Record<string, string>>;
  /** Availability zones the VM is pinned to (empty when none). */
  readonly zones: readonly string[];
}

/** What a VM's instance view says about its power and its VM agent. */
export interface VmInstanceState {
  /** `running`, `stopping`, `starting`, `deallocated`, ...; undefined when not reported. */
  readonly powerState?: string;
  /** True when the VM agent reports `Ready` (it must be, for Run Command and extensions to work). */
  readonly agentReady: boolean;
  /** The agent's status as reported, e.g. `Ready`, `Not Ready`; undefined when not reported. */
  readonly agentStatus?: string;
}

/** What a script printed. */
export interface ScriptOutput {
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * The credential: a static bearer token from `AZURE_ACCESS_TOKEN` when set (CI systems that
 * already hold one), else `DefaultAzureCredential` (environment, workload identity, managed
 * identity, Azure CLI, ...).
 */
export function defaultCredential(env: NodeJS.ProcessEnv = process.env): TokenCredential {
  const token = env.AZURE_ACCESS_TOKEN;
  if (token !== undefined && token !== "") {
    return { getToken: async () => ({ token, expiresOnTimestamp: Date.now() + 60 * 60 * 1000 }) };
  }
  // Loaded only when needed: it is large and reads the environment when constructed.
  const { DefaultAzureCredential } = require("@azure/identity") as typeof import("@azure/identity");
  return new DefaultAzureCredential();
}

export class ArmCompute {
  private readonly client: ComputeManagementClient;
  private readonly pollIntervalMs: number;

  constructor(options: ArmOptions) {
    const endpoint = (options.endpoint ?? PUBLIC_ARM_ENDPOINT).replace(/\/+$/, "");
    this.pollIntervalMs = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
    const { ComputeManagementClient: Client } = require("@azure/arm-compute") as typeof import("@azure/arm-compute");
    this.client = new Client(options.credential ?? defaultCredential(), options.subscriptionId, {
      endpoint,
      credentials: { scopes: [`${new URL(endpoint).origin}/.default`] },
      retryOptions: { maxRetries: options.maxRetries ?? 4, retryDelayInMs: options.retryDelayMs ?? 1000, maxRetryDelayInMs: 60_000 },
      ...(options.tlsCa ? { tlsOptions: { ca: options.tlsCa } } : {}),
      userAgentOptions: { userAgentPrefix: "mailhost-iac-drift" },
    } as ConstructorParameters<typeof ComputeManagementClient>[2]);
  }

  /** VMs of a resource group. */
  async listVms(resourceGroup: string, abortSignal?: AbortSignal): Promise<ArmVm[]> {
    const vms: ArmVm[] = [];
    for await (const vm of this.client.virtualMachines.list(resourceGroup, { abortSignal })) {
      if (vm.name) vms.push({ name: vm.name, tags: { ...(vm.tags ?? {}) }, zones: [...(vm.zones ?? [])] });
    }
    return vms;
  }

  /** `running`, `deallocated`, `stopped`, ... from the VM's instance view; undefined when not reported. */
  async powerState(resourceGroup: string, vm: string, abortSignal?: AbortSignal): Promise<string | undefined> {
    const view = await this.client.virtualMachines.instanceView(resourceGroup, vm, { abortSignal });
    const code = (view.statuses ?? []).map((s) => s.code ?? "").find((c) => c.startsWith("PowerState/"));
    return code?.slice("PowerState/".length);
  }

  /** Power state and VM agent readiness from the VM's instance view. */
  async instanceState(resourceGroup: string, vm: string, abortSignal?: AbortSignal): Promise<VmInstanceState> {
    const view = await this.client.virtualMachines.instanceView(resourceGroup, vm, { abortSignal });
    const code = (view.statuses ?? []).map((s) => s.code ?? "").find((c) => c.startsWith("PowerState/"));
    const agent = (view.vmAgent?.statuses ?? []).find((s) => (s.code ?? "").startsWith("ProvisioningState/"));
    return { powerState: code?.slice("PowerState/".length), agentReady: agent?.displayStatus === "Ready", agentStatus: agent?.displayStatus };
  }

  /**
   * Restarts a VM (`POST .../restart`, a long-running operation polled to completion; needs
   * `Microsoft.Compute/virtualMachines/restart/action`).
   */
  async restart(resourceGroup: string, vm: string, abortSignal?: AbortSignal): Promise<void> {
    await this.client.virtualMachines.beginRestartAndWait(resourceGroup, vm, { abortSignal, updateIntervalInMs: this.pollIntervalMs });
  }

  /** Runs a PowerShell script with named string parameters through the action Run Command. */
  async runPowerShell(resourceGroup: string, vm: string, script: string, parameters: Readonly<Record<string, string>>, abortSignal?: AbortSignal): Promise<ScriptOutput> {
    const result = await this.client.virtualMachines.runCommand(resourceGroup, vm, {
      commandId: "RunPowerShellScript",
      script: script.split(/\r?\n/),
      parameters: Object.entries(parameters).map(([name, value]) => ({ name, value })),
    }, { abortSignal, updateIntervalInMs: this.pollIntervalMs });
    const statuses = result.value ?? [];
    const of = (kind: string) => statuses.filter((s) => (s.code ?? "").includes(`/${kind}/`)).map((s) => s.message ?? "").join("\n");
    return { stdout: of("StdOut"), stderr: of("StdErr") };
  }

  /** Sets an extension's `forceUpdateTag`, which makes Azure apply it again. */
  async bumpExtension(resourceGroup: string, vm: string, extension: string, tag: string, abortSignal?: AbortSignal): Promise<void> {
    await this.client.virtualMachineExtensions.update(resourceGroup, vm, extension, { forceUpdateTag: tag }, { abortSignal, updateIntervalInMs: this.pollIntervalMs });
  }
}
