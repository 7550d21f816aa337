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
 */
import type { TokenCredential } from "@azure/core-auth";
import type { PipelinePolicy, PipelineRequest, PipelineResponse, RetryStrategy } from "@azure/core-rest-pipeline";
// Type only: the SDK is loaded when a client is made, so `mailhost check` and `--help` never pay for it.
import type { ComputeManagementClient } from "@azure/arm-compute";

/** Poll interval of long-running operations (a Run Command takes at least about 20 s). */
export const DEFAULT_POLL_INTERVAL_MS = 5_000;

/**
 * No-response limit of one request, seconds: from sending it (connecting, TLS, the request) to
 * its response. Separate from the per-host time limit, which must cover a whole Run Command
 * (minutes). A request that gets no response in time is not retried: a dead endpoint fails
 * within this limit. 60 s is above ARM's usual answer times (it answers within seconds and
 * starts long operations asynchronously, with 202 and polling).
 */
export const DEFAULT_REQUEST_TIMEOUT_SECONDS = 60;

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
  constructor(readonly vm: string, readonly attempts: number) {
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
  return response !== undefined && response.status === 409 && response.request.method === "POST"
    && RUN_COMMAND_URL.test(response.request.url) && RUN_COMMAND_BUSY.test(response.bodyAsText ?? "");
}

/**
 * An error ARM answered (400, 401, 403, 404) with Azure's `{ error: { code, message } }` body:
 * the message names the status, ARM's code and message, and what to do. `statusCode` and `code`
 * are kept for callers that branch on them.
 */
export class ArmRequestError extends Error {
  constructor(readonly statusCode: number, readonly code: string | undefined, readonly armMessage: string, readonly hint: string | undefined) {
    super(`ARM answered ${statusCode}${code ? ` ${code}` : ""}: ${armMessage}${hint ? ` ${hint}` : ""}`);
    this.name = "ArmRequestError";
  }
}

/** A request that could not reach ARM at all (refused, unknown host, no response in time); not retried. */
export class ArmConnectionError extends Error {
  constructor(message: string, readonly code: string) {
    super(message);
    this.name = "ArmConnectionError";
  }
}

const ROLE_HINT = "Grant the identity Virtual Machine Contributor on the resource group, or a custom role with the actions `mailhost drift --help` lists; a new role assignment can take a few minutes to apply.";

/** What to do about an ARM error, by status and code; undefined when there is nothing to add. */
export function armErrorHint(status: number, code: string | undefined, message: string, endpoint: string): string | undefined {
  if (status === 401) {
    return `The token was refused: sign in again (\`az login\`), or give AZURE_ACCESS_TOKEN a current token for ${new URL(endpoint).origin} (\`az account get-access-token --resource ${new URL(endpoint).origin}\`); a token for another cloud or tenant is refused too.`;
  }
  if (status === 403) {
    const action = /perform action '([^']+)'/.exec(message)?.[1];
    return action ? `The identity lacks the permission for ${action}. ${ROLE_HINT}` : ROLE_HINT;
  }
  if (status === 404) {
    if (code === "ResourceGroupNotFound") return "Check --resource-group (default: the stack's resource group) and --subscription: has the stack been deployed to this subscription?";
    if (code === "SubscriptionNotFound" || code === "InvalidSubscriptionId") return "Check --subscription (or AZURE_SUBSCRIPTION_ID): the identity must see that subscription.";
    return "Check --resource-group and --subscription; the resource may have been deleted.";
  }
  return undefined;
}

/** How to provide a credential, for when there is none. */
export const CREDENTIAL_HINT = "No Azure credential was found. Provide one: sign in with `az login`; or set a service principal's AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (or AZURE_CLIENT_CERTIFICATE_PATH); or set AZURE_ACCESS_TOKEN to a bearer token for the ARM endpoint; in Azure, a managed identity works without settings.";

function readArmError(response: PipelineResponse): { code?: string; message?: string } {
  try {
    const body = JSON.parse(response.bodyAsText ?? "") as { error?: { code?: unknown; message?: unknown } };
    const e = body.error ?? (body as { code?: unknown; message?: unknown });
    return { code: typeof e.code === "string" ? e.code : undefined, message: typeof e.message === "string" ? e.message : undefined };
  } catch {
    return {};
  }
}

const requestLabel = (request: PipelineRequest) => `${request.method} ${new URL(request.url).pathname.replace(/^\/subscriptions\/[^/]+/, "")}`;

/**
 * The pipeline policy, run for every attempt (inside the SDK's retry policy): the no-response
 * limit, errors in words (ARM's code and message with what to do; refused connections and
 * missing credentials as sentences, not retried), and a progress line for every retried attempt.
 */
export function armRequestPolicy(options: { endpoint: string; requestTimeoutSeconds: number; maxRetries: number; progress?: (line: string) => void }): PipelinePolicy {
  const attempts = new WeakMap<PipelineRequest, number>();
  const limit = options.requestTimeoutSeconds;
  const host = new URL(options.endpoint).host;
  return {
    name: "mailhostArmRequest",
    async sendRequest(request, next) {
      const attempt = (attempts.get(request) ?? 0) + 1;
      attempts.set(request, attempt);
      const outer = request.abortSignal;
      const controller = new AbortController();
      const forward = () => controller.abort();
      outer?.addEventListener("abort", forward);
      let timedOut = false;
      const timer = setTimeout(() => { timedOut = true; controller.abort(); }, limit * 1000);
      request.abortSignal = controller.signal;
      const retrying = (why: string) => {
        if (attempt <= options.maxRetries) options.progress?.(`${requestLabel(request)}: ${why}; retrying (attempt ${attempt + 1} of ${options.maxRetries + 1})`);
      };
      try {
        const response = await next(request);
        if (response.status === 429 || response.status >= 500) {
          const after = response.headers.get("retry-after");
          retrying(`ARM answered ${response.status}${readArmError(response).code ? ` ${readArmError(response).code}` : ""}${after ? ` (Retry-After: ${after} s)` : ""}`);
        } else if ([400, 401, 403, 404].includes(response.status)) {
          const { code, message } = readArmError(response);
          const text = message ?? `${requestLabel(request)} failed`;
          throw new ArmRequestError(response.status, code, text, armErrorHint(response.status, code, text, options.endpoint));
        }
        return response;
      } catch (err) {
        if (err instanceof ArmRequestError) throw err;
        if (timedOut) {
          throw new ArmConnectionError(`no response from ${host} within ${limit} s (connect and answer) to ${requestLabel(request)}; check --arm-endpoint, the network path and any proxy, or raise --request-timeout.`, "ETIMEDOUT");
        }
        const e = err as { code?: string; name?: string; message?: string };
        if (e.code === "ECONNREFUSED") throw new ArmConnectionError(`${host} refused the connection (nothing listens there); check --arm-endpoint.`, e.code);
        if (e.code === "ENOTFOUND" || e.code === "EAI_AGAIN") throw new ArmConnectionError(`the host name of ${host} cannot be resolved; check --arm-endpoint and DNS.`, e.code);
        if (!outer?.aborted) retrying(`${e.code ?? e.name ?? "error"}: ${(e.message ?? "").split("\n")[0]}`);
        throw err;
      } finally {
        clearTimeout(timer);
        outer?.removeEventListener("abort", forward);
        request.abortSignal = outer;
      }
    },
  };
}

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
  const missing = [!name && "name", !location && "location", !configurationName && "guestConfiguration.name", !contentUri && "guestConfiguration.contentUri", !contentHash && "guestConfiguration.contentHash"].filter(Boolean);
  if (missing.length > 0) throw new Error(`the guest configuration assignment of ${vm} cannot be re-sent unchanged: Azure returned no ${missing.join(", ")}; run \`pulumi up\` instead`);
  const protectedParameters = gc.configurationProtectedParameter;
  if (Array.isArray(protectedParameters) && protectedParameters.length > 0) {
    throw new Error(`the guest configuration assignment of ${vm} has protected parameters, whose values Azure never returns: re-sending it would remove them; run \`pulumi up\` instead`);
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

/**
 * The credential, with "no credential at all" (DefaultAzureCredential's CredentialUnavailableError
 * or AggregateAuthenticationError) turned into {@link CREDENTIAL_HINT}.
 */
export function explainingCredential(credential: TokenCredential): TokenCredential {
  return {
    getToken: async (scopes, options) => {
      try {
        return await credential.getToken(scopes, options);
      } catch (err) {
        const e = err as Error;
        if (e.name === "CredentialUnavailableError" || e.name === "AggregateAuthenticationError") {
          throw new ArmConnectionError(`${CREDENTIAL_HINT} (${(e.message ?? "").split("\n")[0]})`, "NoCredential");
        }
        throw err;
      }
    },
  };
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
    const policy = armRequestPolicy({ endpoint, requestTimeoutSeconds: options.requestTimeoutSeconds ?? DEFAULT_REQUEST_TIMEOUT_SECONDS, maxRetries, progress: options.progress });
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
  async runPowerShell(resourceGroup: string, vm: string, script: string, parameters: Readonly<Record<string, string>>, abortSignal?: AbortSignal): Promise<ScriptOutput> {
    const key = vm.toLowerCase();
    this.busyAnswers.delete(key);
    let result;
    try {
      result = await this.client.virtualMachines.runCommand(resourceGroup, vm, {
        commandId: "RunPowerShellScript",
        script: script.split(/\r?\n/),
        parameters: Object.entries(parameters).map(([name, value]) => ({ name, value })),
      }, { abortSignal, updateIntervalInMs: this.pollIntervalMs });
    } catch (err) {
      const busy = this.busyAnswers.get(key) ?? 0;
      if (busy > 0 && abortSignal?.aborted) throw new RunCommandBusyError(vm, busy);
      throw err;
    } finally {
      this.busyAnswers.delete(key);
    }
    const statuses = result.value ?? [];
    const of = (kind: string) => statuses.filter((s) => (s.code ?? "").includes(`/${kind}/`)).map((s) => s.message ?? "").join("\n");
    return { stdout: of("StdOut"), stderr: of("StdErr") };
  }

  /** Sets an extension's `forceUpdateTag`, which makes Azure apply it again. */
  async bumpExtension(resourceGroup: string, vm: string, extension: string, tag: string, abortSignal?: AbortSignal): Promise<void> {
    await this.client.virtualMachineExtensions.update(resourceGroup, vm, extension, { forceUpdateTag: tag }, { abortSignal, updateIntervalInMs: this.pollIntervalMs });
  }

  /** ARM URL of a VM's guest configuration assignment. */
  private assignmentUrl(resourceGroup: string, vm: string, assignment: string): string {
    const e = encodeURIComponent;
    return `${this.endpoint}/subscriptions/${e(this.subscriptionId)}/resourceGroups/${e(resourceGroup)}/providers/Microsoft.Compute/virtualMachines/${e(vm)}`
      + `/providers/Microsoft.GuestConfiguration/guestConfigurationAssignments/${e(assignment)}?api-version=${GUEST_CONFIGURATION_API_VERSION}`;
  }

  /** One JSON request through the client's pipeline (credential, retries, errors in words). */
  private async json(method: "GET" | "PUT", url: string, body: unknown, abortSignal?: AbortSignal): Promise<unknown> {
    const { createDefaultHttpClient, createPipelineRequest, createHttpHeaders } = require("@azure/core-rest-pipeline") as typeof import("@azure/core-rest-pipeline");
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
  async resendGuestConfigurationAssignment(resourceGroup: string, vm: string, assignment: string, abortSignal?: AbortSignal): Promise<GuestConfigurationAssignmentBody> {
    const url = this.assignmentUrl(resourceGroup, vm, assignment);
    const body = resendBodyOf(await this.json("GET", url, undefined, abortSignal), vm);
    await this.json("PUT", url, body, abortSignal);
    return body;
  }
}
