/**
 * The Azure Resource Manager operations the drift check uses, through the `@azure/arm-compute`
 * SDK and its pipeline (retries on 429 with Retry-After and on 5xx, long-running operations):
 * list a resource group's VMs, read a VM's power state and agent status, run a PowerShell script
 * through the action Run Command, bump an extension's `forceUpdateTag`, and restart a VM
 * (`mailhost reboot`), and re-send a VM's guest configuration assignment unchanged (a GET and a
 * PUT of `Microsoft.GuestConfiguration/guestConfigurationAssignments`, API
 * {@link GUEST_CONFIGURATION_API_VERSION}, through the same pipeline). A Run Command answered 409 Conflict because another run command is
 * executing on the VM is retried with backoff by a pipeline retry policy of
 * `@azure/core-rest-pipeline` until the caller's abort signal fires.
 *
 * The request pipeline shared with the Resource Graph client (credential, no-response limit,
 * errors in words) is in `armPipeline.ts`; the assignment body re-sent unchanged in
 * `guestConfigurationAssignment.ts`.
 */
import type { TokenCredential } from "@azure/core-auth";
import type { PipelineResponse, RetryStrategy } from "@azure/core-rest-pipeline";
// Type only: the SDK is loaded when a client is made, so `mailhost check` and `--help` never pay for it.
import type { ComputeManagementClient } from "@azure/arm-compute";
import {
  ArmRequestError,
  DEFAULT_REQUEST_TIMEOUT_SECONDS,
  PUBLIC_ARM_ENDPOINT,
  armErrorHint,
  armRequestPolicy,
  defaultCredential,
  explainingCredential,
  readArmError,
} from "./armPipeline";
import { GUEST_CONFIGURATION_API_VERSION, type GuestConfigurationAssignmentBody, resendBodyOf } from "./guestConfigurationAssignment";

export {
  ArmConnectionError,
  ArmRequestError,
  CREDENTIAL_HINT,
  DEFAULT_REQUEST_TIMEOUT_SECONDS,
  PUBLIC_ARM_ENDPOINT,
  armErrorHint,
  armRequestPolicy,
  defaultCredential,
  explainingCredential,
} from "./armPipeline";
export { GUEST_CONFIGURATION_API_VERSION, type GuestConfigurationAssignmentBody, resendBodyOf } from "./guestConfigurationAssignment";

/** Poll interval of long-running operations (a Run Command takes at least about 20 s). */
export const DEFAULT_POLL_INTERVAL_MS = 5_000;

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
  /**
   * First wait before retrying a Run Command that found another one executing (409 Conflict), ms;
   * doubles each time up to {@link maxBusyRetryDelayMs}. Defaults to 5000.
   */
  readonly busyRetryDelayMs?: number;
  /** Longest wait between those retries, ms. Defaults to 30000. */
  readonly maxBusyRetryDelayMs?: number;
  /** No-response limit of each request, seconds. Defaults to {@link DEFAULT_REQUEST_TIMEOUT_SECONDS}. */
  readonly requestTimeoutSeconds?: number;
  /** Progress lines (stderr): each retry, with the reason. */
  readonly progress?: (line: string) => void;
}

/** First wait before retrying a busy Run Command, ms (a run command takes at least about 20 s). */
export const DEFAULT_BUSY_RETRY_DELAY_MS = 5_000;
/** Longest wait between retries of a busy Run Command, ms. */
export const DEFAULT_MAX_BUSY_RETRY_DELAY_MS = 30_000;

/**
 * The VM was still executing another run command when the caller's time limit ran out: Azure
 * kept answering 409 Conflict ("Run command extension execution is in progress").
 */
export class RunCommandBusyError extends Error {
  constructor(
    readonly vm: string,
    readonly attempts: number,
  ) {
    super(`another run command was still executing on ${vm} (409 Conflict on ${attempts} attempt(s))`);
    this.name = "RunCommandBusyError";
  }
}

/** Azure's answer to a run command while another one executes on the VM. */
const RUN_COMMAND_BUSY = /run command extension execution is in progress/i;
/** The action Run Command: POST .../virtualMachines/<vm>/runCommand. */
const RUN_COMMAND_URL = /\/virtualMachines\/([^/?]+)\/runCommand(\?|$)/i;

/** True for a 409 answer to the action Run Command that says another run command is executing. */
export function isRunCommandBusy(response: PipelineResponse | undefined): boolean {
  return (
    response !== undefined &&
    response.status === 409 &&
    response.request.method === "POST" &&
    RUN_COMMAND_URL.test(response.request.url) &&
    RUN_COMMAND_BUSY.test(response.bodyAsText ?? "")
  );
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

export class ArmCompute {
  private readonly client: ComputeManagementClient;
  private readonly endpoint: string;
  private readonly subscriptionId: string;
  private readonly pollIntervalMs: number;
  /** Busy answers per VM (lower case) since its last Run Command that was not busy. */
  private readonly busyAnswers = new Map<string, number>();

  constructor(options: ArmOptions) {
    const endpoint = (options.endpoint ?? PUBLIC_ARM_ENDPOINT).replace(/\/+$/, "");
    this.endpoint = endpoint;
    this.subscriptionId = options.subscriptionId;
    const maxRetries = options.maxRetries ?? 4;
    const policy = armRequestPolicy({
      endpoint,
      requestTimeoutSeconds: options.requestTimeoutSeconds ?? DEFAULT_REQUEST_TIMEOUT_SECONDS,
      maxRetries,
      progress: options.progress,
    });
    this.pollIntervalMs = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
    const firstDelay = options.busyRetryDelayMs ?? DEFAULT_BUSY_RETRY_DELAY_MS;
    const maxDelay = options.maxBusyRetryDelayMs ?? DEFAULT_MAX_BUSY_RETRY_DELAY_MS;
    // Only the busy 409 of Run Command; the SDK's own retry policy keeps handling 429 and 5xx.
    const busyRetry: RetryStrategy = {
      name: "runCommandBusyRetry",
      retry: ({ retryCount, response }) => {
        const vm = response ? RUN_COMMAND_URL.exec(response.request.url)?.[1] : undefined;
        if (vm === undefined) return { skipStrategy: true };
        const key = decodeURIComponent(vm).toLowerCase();
        if (!isRunCommandBusy(response)) {
          this.busyAnswers.delete(key);
          return { skipStrategy: true };
        }
        this.busyAnswers.set(key, (this.busyAnswers.get(key) ?? 0) + 1);
        // Exponential backoff with +-20 % jitter, so that parallel drift jobs do not retry in step.
        const base = Math.min(maxDelay, firstDelay * 2 ** Math.min(retryCount, 20));
        return { retryAfterInMs: Math.round(base * (0.8 + Math.random() * 0.4)) };
      },
    };
    const { ComputeManagementClient: Client } = require("@azure/arm-compute") as typeof import("@azure/arm-compute");
    const { retryPolicy } = require("@azure/core-rest-pipeline") as typeof import("@azure/core-rest-pipeline");
    this.client = new Client(explainingCredential(options.credential ?? defaultCredential()), options.subscriptionId, {
      endpoint,
      credentials: { scopes: [`${new URL(endpoint).origin}/.default`] },
      additionalPolicies: [
        // Every attempt: the no-response limit, errors in words, progress on retries.
        { policy, position: "perRetry" },
        // Per call, outside the SDK's retry policy: a busy Run Command is retried until the caller's abort signal fires.
        { policy: retryPolicy([busyRetry], { maxRetries: Number.MAX_SAFE_INTEGER }), position: "perCall" },
      ],
      retryOptions: { maxRetries, retryDelayInMs: options.retryDelayMs ?? 1000, maxRetryDelayInMs: 60_000 },
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

  /**
   * Runs a PowerShell script with named string parameters through the action Run Command. While
   * another run command executes on the VM (409 Conflict) it retries with backoff; throws
   * {@link RunCommandBusyError} when `abortSignal` fires while the VM is still busy.
   */
  async runPowerShell(
    resourceGroup: string,
    vm: string,
    script: string,
    parameters: Readonly<Record<string, string>>,
    abortSignal?: AbortSignal,
  ): Promise<ScriptOutput> {
    const key = vm.toLowerCase();
    this.busyAnswers.delete(key);
    let result;
    try {
      result = await this.client.virtualMachines.runCommand(
        resourceGroup,
        vm,
        {
          commandId: "RunPowerShellScript",
          script: script.split(/\r?\n/),
          parameters: Object.entries(parameters).map(([name, value]) => ({ name, value })),
        },
        { abortSignal, updateIntervalInMs: this.pollIntervalMs },
      );
    } catch (err) {
      const busy = this.busyAnswers.get(key) ?? 0;
      if (busy > 0 && abortSignal?.aborted) throw new RunCommandBusyError(vm, busy);
      throw err;
    } finally {
      this.busyAnswers.delete(key);
    }
    const statuses = result.value ?? [];
    const of = (kind: string) =>
      statuses
        .filter((s) => (s.code ?? "").includes(`/${kind}/`))
        .map((s) => s.message ?? "")
        .join("\n");
    return { stdout: of("StdOut"), stderr: of("StdErr") };
  }

  /** Sets an extension's `forceUpdateTag`, which makes Azure apply it again. */
  async bumpExtension(resourceGroup: string, vm: string, extension: string, tag: string, abortSignal?: AbortSignal): Promise<void> {
    await this.client.virtualMachineExtensions.update(
      resourceGroup,
      vm,
      extension,
      { forceUpdateTag: tag },
      { abortSignal, updateIntervalInMs: this.pollIntervalMs },
    );
  }

  /** ARM URL of a VM's guest configuration assignment. */
  private assignmentUrl(resourceGroup: string, vm: string, assignment: string): string {
    const e = encodeURIComponent;
    return (
      `${this.endpoint}/subscriptions/${e(this.subscriptionId)}/resourceGroups/${e(resourceGroup)}/providers/Microsoft.Compute/virtualMachines/${e(vm)}` +
      `/providers/Microsoft.GuestConfiguration/guestConfigurationAssignments/${e(assignment)}?api-version=${GUEST_CONFIGURATION_API_VERSION}`
    );
  }

  /** One JSON request through the client's pipeline (credential, retries, errors in words). */
  private async json(method: "GET" | "PUT", url: string, body: unknown, abortSignal?: AbortSignal): Promise<unknown> {
    const { createDefaultHttpClient, createPipelineRequest, createHttpHeaders } =
      require("@azure/core-rest-pipeline") as typeof import("@azure/core-rest-pipeline");
    const request = createPipelineRequest({
      url,
      method,
      abortSignal,
      headers: createHttpHeaders({ accept: "application/json", ...(body === undefined ? {} : { "content-type": "application/json" }) }),
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    // The SDK client's own pipeline: its credential, TLS options, retries and the policies above.
    const response = await this.client.pipeline.sendRequest(createDefaultHttpClient(), request);
    if (Math.floor(response.status / 100) !== 2) {
      const { code, message } = readArmError(response);
      const text = message ?? `${method} ${new URL(url).pathname} failed`;
      throw new ArmRequestError(response.status, code, text, armErrorHint(response.status, code, text, this.endpoint));
    }
    return response.bodyAsText ? JSON.parse(response.bodyAsText) : undefined;
  }

  /**
   * Re-sends a VM's guest configuration assignment unchanged: reads it (GET) and writes its
   * writable fields back (PUT, CreateOrUpdate). Microsoft's "Remediation options for machine
   * configuration" (learn.microsoft.com/azure/governance/machine-configuration/concepts/remediation-options,
   * "Manually trigger remediation outside of Azure Policy"): updating a guest assignment, even
   * without changing its properties, makes the machine apply the configuration again. Needs
   * `Microsoft.GuestConfiguration/guestConfigurationAssignments/read` and `/write`. Returns the
   * body it sent.
   */
  async resendGuestConfigurationAssignment(
    resourceGroup: string,
    vm: string,
    assignment: string,
    abortSignal?: AbortSignal,
  ): Promise<GuestConfigurationAssignmentBody> {
    const url = this.assignmentUrl(resourceGroup, vm, assignment);
    const body = resendBodyOf(await this.json("GET", url, undefined, abortSignal), vm);
    await this.json("PUT", url, body, abortSignal);
    return body;
  }
}
