/**
 * What every ARM request of the CLI goes through, whichever SDK client sends it (compute, Resource
 * Graph): the credential (`AZURE_ACCESS_TOKEN` or `DefaultAzureCredential`, with "no credential"
 * in words), a no-response limit per attempt, ARM's errors as sentences that say what to do, and a
 * progress line for every retried attempt.
 */
import type { TokenCredential } from "@azure/core-auth";
import type { PipelinePolicy, PipelineRequest, PipelineResponse } from "@azure/core-rest-pipeline";

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

/**
 * An error ARM answered (400, 401, 403, 404) with Azure's `{ error: { code, message } }` body:
 * the message names the status, ARM's code and message, and what to do. `statusCode` and `code`
 * are kept for callers that branch on them.
 */
export class ArmRequestError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string | undefined,
    readonly armMessage: string,
    readonly hint: string | undefined,
  ) {
    super(`ARM answered ${statusCode}${code ? ` ${code}` : ""}: ${armMessage}${hint ? ` ${hint}` : ""}`);
    this.name = "ArmRequestError";
  }
}

/** A request that could not reach ARM at all (refused, unknown host, no response in time); not retried. */
export class ArmConnectionError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = "ArmConnectionError";
  }
}

const ROLE_HINT =
  "Grant the identity Virtual Machine Contributor on the resource group, or a custom role with the actions `mailhost drift --help` lists; a new role assignment can take a few minutes to apply.";

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
    if (code === "ResourceGroupNotFound")
      return "Check --resource-group (default: the stack's resource group) and --subscription: has the stack been deployed to this subscription?";
    if (code === "SubscriptionNotFound" || code === "InvalidSubscriptionId")
      return "Check --subscription (or AZURE_SUBSCRIPTION_ID): the identity must see that subscription.";
    return "Check --resource-group and --subscription; the resource may have been deleted.";
  }
  return undefined;
}

/** How to provide a credential, for when there is none. */
export const CREDENTIAL_HINT =
  "No Azure credential was found. Provide one: sign in with `az login`; or set a service principal's AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (or AZURE_CLIENT_CERTIFICATE_PATH); or set AZURE_ACCESS_TOKEN to a bearer token for the ARM endpoint; in Azure, a managed identity works without settings.";

/** ARM's `{ error: { code, message } }` answer (or a bare `{ code, message }`); empty when the body says neither. */
export function readArmError(response: PipelineResponse): { code?: string; message?: string } {
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
export function armRequestPolicy(options: {
  endpoint: string;
  requestTimeoutSeconds: number;
  maxRetries: number;
  progress?: (line: string) => void;
}): PipelinePolicy {
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
      const timer = setTimeout(() => {
        timedOut = true;
        controller.abort();
      }, limit * 1000);
      request.abortSignal = controller.signal;
      const retrying = (why: string) => {
        if (attempt <= options.maxRetries)
          options.progress?.(`${requestLabel(request)}: ${why}; retrying (attempt ${attempt + 1} of ${options.maxRetries + 1})`);
      };
      try {
        const response = await next(request);
        if (response.status === 429 || response.status >= 500) {
          const after = response.headers.get("retry-after");
          retrying(
            `ARM answered ${response.status}${readArmError(response).code ? ` ${readArmError(response).code}` : ""}${after ? ` (Retry-After: ${after} s)` : ""}`,
          );
        } else if ([400, 401, 403, 404].includes(response.status)) {
          const { code, message } = readArmError(response);
          const text = message ?? `${requestLabel(request)} failed`;
          throw new ArmRequestError(response.status, code, text, armErrorHint(response.status, code, text, options.endpoint));
        }
        return response;
      } catch (err) {
        if (err instanceof ArmRequestError) throw err;
        if (timedOut) {
          throw new ArmConnectionError(
            `no response from ${host} within ${limit} s (connect and answer) to ${requestLabel(request)}; check --arm-endpoint, the network path and any proxy, or raise --request-timeout.`,
            "ETIMEDOUT",
          );
        }
        const e = err as { code?: string; name?: string; message?: string };
        if (e.code === "ECONNREFUSED") throw new ArmConnectionError(`${host} refused the connection (nothing listens there); check --arm-endpoint.`, e.code);
        if (e.code === "ENOTFOUND" || e.code === "EAI_AGAIN")
          throw new ArmConnectionError(`the host name of ${host} cannot be resolved; check --arm-endpoint and DNS.`, e.code);
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
