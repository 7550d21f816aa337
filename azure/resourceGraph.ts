/**
 * Azure Resource Graph queries through `@azure/arm-resourcegraph` (API 2024-04-01), with the
 * same credential, endpoint override and retry pipeline as the ARM compute client: 429 answers
 * wait for `Retry-After` or, when Resource Graph sends only its quota headers, for
 * `x-ms-user-quota-resets-after`; 5xx answers back off exponentially. Pages follow `$skipToken`.
 *
 * Throttling headers and paging: https://learn.microsoft.com/azure/governance/resource-graph/concepts/guidance-for-throttled-requests
 */
import type { TokenCredential } from "@azure/core-auth";
import type { PipelinePolicy, PipelineResponse } from "@azure/core-rest-pipeline";
// Type only: the SDK is loaded when a client is made.
import type { ResourceGraphClient, ResourceGraphClientOptionalParams } from "@azure/arm-resourcegraph";

/** Rows per page: Resource Graph's maximum `$top`. */
export const MAX_PAGE_SIZE = 1000;

/** Header that says how long until the caller's query quota resets (`hh:mm:ss`). */
export const QUOTA_RESETS_AFTER_HEADER = "x-ms-user-quota-resets-after";
/** Header that says how many queries are left in the current quota window. */
export const QUOTA_REMAINING_HEADER = "x-ms-user-quota-remaining";

export interface ResourceGraphOptions {
  /** ARM endpoint (sovereign clouds, stand-ins). Defaults to the public cloud. */
  readonly endpoint: string;
  readonly credential: TokenCredential;
  /** Extra trusted CA (PEM) for the endpoint's TLS certificate. */
  readonly tlsCa?: string;
  /** Retries of a request answered 429 or 5xx (or not answered). Defaults to 4. */
  readonly maxRetries?: number;
  /** First retry delay when the answer names none, ms; doubles each time. Defaults to 1000. */
  readonly retryDelayMs?: number;
  /** Rows per page (1–{@link MAX_PAGE_SIZE}). Defaults to {@link MAX_PAGE_SIZE}. */
  readonly pageSize?: number;
  /** Called with a line of progress (retries, quota waits, pages). */
  readonly progress?: (line: string) => void;
  /** More per-attempt pipeline policies (the ARM client's error wording and no-response limit). */
  readonly policies?: readonly PipelinePolicy[];
  /** Waits `ms` (tests may shorten it). Defaults to a timer. */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** What a query covers: subscriptions, management groups, or both (Resource Graph's `QueryRequest`). */
export interface GraphScopes {
  readonly subscriptions?: readonly string[];
  readonly managementGroups?: readonly string[];
}

/** The rows of a query and what it cost. */
export interface QueryResult<Row> {
  readonly rows: Row[];
  /** HTTP requests answered with a page (throttled attempts not included). */
  readonly pages: number;
}

/** `hh:mm:ss` (or `d.hh:mm:ss`) → seconds; undefined when it does not parse. */
export function parseQuotaResetsAfter(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const m = /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2}(?:\.\d+)?)$/.exec(value.trim());
  if (!m) return undefined;
  const [days, hours, minutes, seconds] = [Number(m[1] ?? 0), Number(m[2]), Number(m[3]), Number(m[4])];
  return ((days * 24 + hours) * 60 + minutes) * 60 + seconds;
}

/**
 * A per-retry pipeline policy: a 429 that names no `Retry-After` but says when the quota resets
 * gets that time as its `Retry-After`, so the SDK's own throttling retry waits exactly that long.
 */
export function quotaResetRetryAfterPolicy(progress?: (line: string) => void): PipelinePolicy {
  return {
    name: "mailhostQuotaResetRetryAfter",
    async sendRequest(request, next): Promise<PipelineResponse> {
      const response = await next(request);
      if (response.status === 429) {
        const named = response.headers.get("retry-after") ?? response.headers.get("retry-after-ms") ?? response.headers.get("x-ms-retry-after-ms");
        const reset = parseQuotaResetsAfter(response.headers.get(QUOTA_RESETS_AFTER_HEADER));
        if (named === undefined && reset !== undefined) response.headers.set("retry-after", String(Math.max(1, Math.ceil(reset))));
        progress?.(`Resource Graph throttled the query (429); retrying after ${response.headers.get("retry-after") ?? "a back-off"} s`);
      } else if (response.status >= 500) {
        progress?.(`Resource Graph answered ${response.status}; retrying with back-off`);
      }
      return response;
    },
  };
}

/** Runs Resource Graph queries over whole result sets. */
export class ResourceGraph {
  private readonly client: ResourceGraphClient;
  private readonly pageSize: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: ResourceGraphOptions) {
    const endpoint = options.endpoint.replace(/\/+$/, "");
    this.pageSize = Math.min(MAX_PAGE_SIZE, Math.max(1, options.pageSize ?? MAX_PAGE_SIZE));
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    const { ResourceGraphClient: Client } = require("@azure/arm-resourcegraph") as typeof import("@azure/arm-resourcegraph");
    this.client = new Client(options.credential, {
      endpoint,
      credentials: { scopes: [`${new URL(endpoint).origin}/.default`] },
      retryOptions: { maxRetries: options.maxRetries ?? 4, retryDelayInMs: options.retryDelayMs ?? 1000, maxRetryDelayInMs: 60_000 },
      ...(options.tlsCa ? { tlsOptions: { ca: options.tlsCa } } : {}),
      userAgentOptions: { userAgentPrefix: "mailhost-iac-drift" },
      additionalPolicies: [
        ...(options.policies ?? []).map((policy) => ({ policy, position: "perRetry" as const })),
        { policy: quotaResetRetryAfterPolicy(options.progress), position: "perRetry" as const },
      ],
    } as ResourceGraphClientOptionalParams);
  }

  /**
   * Runs `query` over `scopes` (subscription IDs, or `{ subscriptions, managementGroups }`) and
   * follows `$skipToken` until the last page, resending the same query and scopes each time. When a page says no quota is left, waits for the reset
   * before asking for the next. Throws the SDK's RestError when a request fails for good.
   */
  async queryAll<Row>(query: string, scopes: readonly string[] | GraphScopes, abortSignal?: AbortSignal): Promise<QueryResult<Row>> {
    const { subscriptions, managementGroups } = Array.isArray(scopes)
      ? { subscriptions: scopes as readonly string[], managementGroups: undefined }
      : (scopes as GraphScopes);
    const rows: Row[] = [];
    let skipToken: string | undefined;
    let pages = 0;
    do {
      let headers: PipelineResponse["headers"] | undefined;
      const response = await this.client.resources(
        {
          ...(subscriptions ? { subscriptions: [...subscriptions] } : {}),
          ...(managementGroups ? { managementGroups: [...managementGroups] } : {}),
          query,
          options: { top: this.pageSize, resultFormat: "objectArray", ...(skipToken ? { skipToken } : {}) },
        },
        {
          abortSignal,
          onResponse: (raw) => {
            headers = raw.headers as unknown as PipelineResponse["headers"];
          },
        },
      );
      pages++;
      const data = response.data as unknown;
      if (!Array.isArray(data)) throw new Error("Resource Graph answered without an object array (resultFormat objectArray was asked for)");
      rows.push(...(data as Row[]));
      skipToken = response.skipToken || undefined;
      this.options.progress?.(`Resource Graph page ${pages}: ${data.length} row(s)${skipToken ? ", more to come" : ""}`);
      if (skipToken && headers?.get(QUOTA_REMAINING_HEADER) === "0") {
        const wait = parseQuotaResetsAfter(headers.get(QUOTA_RESETS_AFTER_HEADER)) ?? 5;
        this.options.progress?.(`Resource Graph quota used up; waiting ${wait} s for it to reset`);
        await this.sleep(wait * 1000);
      }
    } while (skipToken);
    return { rows, pages };
  }
}
