/**
 * A local stand-in for the Azure Resource Manager operations `mailhost drift` uses, on
 * https://127.0.0.1 with a self-signed certificate made for the run (openssl): list the VMs of a
 * resource group (paged), a VM's instance view, the action Run Command as a long-running operation
 * (202 with Azure-AsyncOperation and Location, polled to completion, result in the documented
 * `value: [{ code: "ComponentStatus/StdOut/succeeded", message }]` shape), and extension updates.
 * Behaviour per VM is scripted by the test; the stand-in records what it was asked.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as https from "node:https";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";

export interface VmBehaviour {
  /** Collector stdout, or a function of the script and parameters (remediation scripts get "{}" by default). */
  stdout?: string | ((script: string, parameters: Record<string, string>) => string);
  stderr?: string;
  powerState?: string;
  /** Answer the first N run-command POSTs with 429 and Retry-After: 1. */
  throttle?: number;
  /** Answer every run-command POST with 500. */
  alwaysFail500?: boolean;
  /** Polls answered "InProgress" before "Succeeded". Default 1. */
  pollsInProgress?: number;
  /** The operation never finishes. */
  never?: boolean;
  /** The operation ends "Failed". */
  operationFails?: boolean;
}

export interface StandInVm {
  readonly name: string;
  readonly tags: Record<string, string>;
  behaviour: VmBehaviour;
}

interface Operation {
  readonly vm: string;
  /** When the run command was accepted (ms since the epoch). */
  readonly startedAt: number;
  polls: number;
  finished: boolean;
}

export const STAND_IN_TOKEN = "stand-in-test-token";

function makeCertificate(): { key: string; cert: string; dir: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "arm-stand-in-"));
  execFileSync("openssl", [
    "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", path.join(dir, "key.pem"), "-out", path.join(dir, "cert.pem"),
  ], { stdio: "ignore" });
  return { key: fs.readFileSync(path.join(dir, "key.pem"), "utf8"), cert: fs.readFileSync(path.join(dir, "cert.pem"), "utf8"), dir };
}

export class ArmStandIn {
  readonly vms = new Map<string, StandInVm>();
  private readonly operations = new Map<string, Operation>();
  private nextOperation = 1;
  private inFlight = 0;
  /** Most run commands in flight at once (POST accepted, result not yet fetched). */
  maxInFlight = 0;
  /** Run-command POSTs per VM (including throttled and failed ones). */
  readonly runCommandPosts = new Map<string, number>();
  /** Scripts run per VM with their parameters. */
  readonly scripts = new Map<string, Array<{ script: string; parameters: Record<string, string> }>>();
  /** forceUpdateTag values set per VM and extension. */
  readonly extensionUpdates = new Map<string, Array<{ extension: string; forceUpdateTag: string }>>();
  /** Requests without the expected bearer token. */
  unauthorized = 0;
  /**
   * Azure Resource Graph: the rows of `guestconfigurationresources` served for any query (the
   * stand-in does not evaluate KQL), in pages of at most `graphPageSize` rows.
   */
  graphRows: unknown[] = [];
  graphPageSize = 1000;
  /** Answer the next N Resource Graph requests with 429 and only the quota headers (no Retry-After). */
  graphThrottle = 0;
  /** Resource Graph requests answered with a page (query, scopes, paging options). */
  readonly graphRequests: Array<{ query: string; subscriptions: string[]; top?: number; skipToken?: string }> = [];
  /** Every Resource Graph POST, throttled ones included. */
  graphPosts = 0;
  /** Every HTTP request received. */
  requests = 0;
  /** VMs per page of the VM list (small by default, so clients must follow nextLink). */
  vmPageSize = 2;
  /** Delay before each Run Command result is served, ms (stands for Azure's run time in benchmarks). */
  runCommandDelayMs = 0;

  private constructor(private readonly server: https.Server, readonly ca: string, readonly caFile: string, private readonly certDir: string, readonly subscription: string, readonly resourceGroup: string) {}

  get endpoint(): string {
    return `https://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  static async start(subscription: string, resourceGroup: string, vms: StandInVm[]): Promise<ArmStandIn> {
    const { key, cert, dir } = makeCertificate();
    let standIn: ArmStandIn | undefined;
    const server = https.createServer({ key, cert }, (req, res) => standIn!.handle(req, res));
    standIn = new ArmStandIn(server, cert, path.join(dir, "cert.pem"), dir, subscription, resourceGroup);
    for (const vm of vms) standIn.vms.set(vm.name, vm);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return standIn;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    fs.rmSync(this.certDir, { recursive: true, force: true });
  }

  private json(res: import("node:http").ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    res.writeHead(status, { "content-type": "application/json", ...headers });
    res.end(body === undefined ? "" : JSON.stringify(body));
  }

  private handle(req: import("node:http").IncomingMessage, res: import("node:http").ServerResponse): void {
    this.requests++;
    let body = "";
    req.on("data", (d) => { body += d; });
    req.on("end", () => {
      try {
        this.route(req, res, body);
      } catch (err) {
        this.json(res, 500, { error: { code: "StandInError", message: (err as Error).message } });
      }
    });
  }

  private route(req: import("node:http").IncomingMessage, res: import("node:http").ServerResponse, body: string): void {
    if (req.headers.authorization !== `Bearer ${STAND_IN_TOKEN}`) {
      this.unauthorized++;
      return this.json(res, 401, { error: { code: "AuthenticationFailed", message: "missing or wrong bearer token" } });
    }
    const url = new URL(req.url ?? "/", this.endpoint);
    const base = `/subscriptions/${this.subscription}/resourceGroups/${this.resourceGroup}/providers/Microsoft.Compute/virtualMachines`;
    const p = url.pathname;

    if (req.method === "GET" && p === base) {
      // Paged (`vmPageSize` VMs a page), so the client must follow nextLink.
      const all = [...this.vms.values()];
      const skip = Number(url.searchParams.get("skip") ?? "0");
      const page = all.slice(skip, skip + this.vmPageSize).map((vm) => ({
        id: `${base}/${vm.name}`, name: vm.name, type: "Microsoft.Compute/virtualMachines", location: "westeurope", tags: vm.tags, properties: {},
      }));
      const next = skip + this.vmPageSize < all.length ? `${this.endpoint}${base}?api-version=${url.searchParams.get("api-version")}&skip=${skip + this.vmPageSize}` : undefined;
      return this.json(res, 200, { value: page, ...(next ? { nextLink: next } : {}) });
    }

    const vmMatch = new RegExp(`^${base}/([^/]+)(/.*)?$`).exec(p);
    if (vmMatch) {
      const vm = this.vms.get(decodeURIComponent(vmMatch[1]));
      if (!vm) return this.json(res, 404, { error: { code: "ResourceNotFound", message: `VM ${vmMatch[1]} not found` } });
      const rest = vmMatch[2] ?? "";
      if (req.method === "GET" && rest === "/instanceView") {
        return this.json(res, 200, { statuses: [{ code: "ProvisioningState/succeeded", level: "Info" }, { code: `PowerState/${vm.behaviour.powerState ?? "running"}`, level: "Info" }] });
      }
      if (req.method === "POST" && rest === "/runCommand") return this.runCommand(vm, body, res);
      const ext = /^\/extensions\/([^/]+)$/.exec(rest);
      if (ext && (req.method === "PATCH" || req.method === "PUT")) {
        const parsed = JSON.parse(body || "{}") as { properties?: { forceUpdateTag?: string } };
        const list = this.extensionUpdates.get(vm.name) ?? [];
        list.push({ extension: decodeURIComponent(ext[1]), forceUpdateTag: parsed.properties?.forceUpdateTag ?? "" });
        this.extensionUpdates.set(vm.name, list);
        return this.json(res, 200, { id: `${base}/${vm.name}/extensions/${ext[1]}`, name: ext[1], properties: { provisioningState: "Succeeded", forceUpdateTag: parsed.properties?.forceUpdateTag } });
      }
    }

    if (req.method === "POST" && p === "/providers/Microsoft.ResourceGraph/resources") return this.resourceGraph(url, body, res);

    const op = /^\/providers\/Microsoft.Compute\/locations\/westeurope\/(operations|operationResults)\/(\d+)$/.exec(p);
    if (op && req.method === "GET") return this.operation(op[1] as "operations" | "operationResults", op[2], res);
    return this.json(res, 404, { error: { code: "NotFound", message: `${req.method} ${p}` } });
  }

  /**
   * `POST /providers/Microsoft.ResourceGraph/resources` (API 2024-04-01), shaped after the
   * published examples ResourcesFirstPageQuery.json / ResourcesNextPageQuery.json: `totalRecords`,
   * `count`, `resultTruncated`, `$skipToken` while rows remain, `data` as an object array, and the
   * quota headers on every answer. A next page must resend the same query and scopes.
   */
  private resourceGraph(url: URL, body: string, res: import("node:http").ServerResponse): void {
    this.graphPosts++;
    const quota = { "x-ms-user-quota-remaining": String(Math.max(0, 15 - this.graphPosts)), "x-ms-user-quota-resets-after": "00:00:01" };
    if (url.searchParams.get("api-version") !== "2024-04-01") return this.json(res, 400, { error: { code: "InvalidApiVersionParameter", message: `api-version ${url.searchParams.get("api-version")}` } });
    if (this.graphThrottle > 0) {
      this.graphThrottle--;
      return this.json(res, 429, { error: { code: "RateLimiting", message: "Please provide below info when asking for support: timestamp = ..., correlationId = ...." } }, { ...quota, "x-ms-user-quota-remaining": "0" });
    }
    const input = JSON.parse(body || "{}") as { query?: string; subscriptions?: string[]; options?: { $top?: number; $skipToken?: string; resultFormat?: string } };
    if (typeof input.query !== "string" || input.query.trim() === "") return this.json(res, 400, { error: { code: "BadRequest", message: "query is required" } });
    const skipToken = input.options?.$skipToken;
    const first = this.graphRequests[0];
    if (skipToken !== undefined && (first === undefined || first.query !== input.query || JSON.stringify(first.subscriptions) !== JSON.stringify(input.subscriptions ?? []))) {
      return this.json(res, 400, { error: { code: "BadRequest", message: "a $skipToken must come with the same query and scopes" } });
    }
    this.graphRequests.push({ query: input.query, subscriptions: input.subscriptions ?? [], top: input.options?.$top, skipToken });
    const offset = skipToken === undefined ? 0 : Number(JSON.parse(Buffer.from(skipToken, "base64").toString("utf8")).offset);
    const size = Math.min(this.graphPageSize, input.options?.$top ?? 100);
    const page = this.graphRows.slice(offset, offset + size);
    const next = offset + size < this.graphRows.length ? Buffer.from(JSON.stringify({ offset: offset + size })).toString("base64") : undefined;
    return this.json(res, 200, { totalRecords: this.graphRows.length, count: page.length, resultTruncated: "false", facets: [], ...(next ? { $skipToken: next } : {}), data: page }, quota);
  }

  private runCommand(vm: StandInVm, body: string, res: import("node:http").ServerResponse): void {
    this.runCommandPosts.set(vm.name, (this.runCommandPosts.get(vm.name) ?? 0) + 1);
    const b = vm.behaviour;
    if ((b.throttle ?? 0) > 0) {
      b.throttle = (b.throttle ?? 0) - 1;
      return this.json(res, 429, { error: { code: "TooManyRequests", message: "throttled" } }, { "retry-after": "1" });
    }
    if (b.alwaysFail500) return this.json(res, 500, { error: { code: "InternalServerError", message: "stand-in failure" } });
    const input = JSON.parse(body || "{}") as { commandId?: string; script?: string[]; parameters?: Array<{ name: string; value: string }> };
    if (input.commandId !== "RunPowerShellScript") return this.json(res, 400, { error: { code: "BadRequest", message: `commandId ${input.commandId}` } });
    const parameters = Object.fromEntries((input.parameters ?? []).map((x) => [x.name, x.value]));
    const list = this.scripts.get(vm.name) ?? [];
    list.push({ script: (input.script ?? []).join("\n"), parameters });
    this.scripts.set(vm.name, list);
    const id = String(this.nextOperation++);
    this.operations.set(id, { vm: vm.name, startedAt: Date.now(), polls: 0, finished: false });
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    const loc = `${this.endpoint}/providers/Microsoft.Compute/locations/westeurope`;
    return this.json(res, 202, undefined, {
      "azure-asyncoperation": `${loc}/operations/${id}?api-version=2026-04-01`,
      location: `${loc}/operationResults/${id}?api-version=2026-04-01`,
    });
  }

  private finish(operation: Operation): void {
    if (!operation.finished) {
      operation.finished = true;
      this.inFlight--;
    }
  }

  private operation(kind: "operations" | "operationResults", id: string, res: import("node:http").ServerResponse): void {
    const operation = this.operations.get(id);
    if (!operation) return this.json(res, 404, { error: { code: "NotFound", message: `operation ${id}` } });
    const vm = this.vms.get(operation.vm)!;
    const b = vm.behaviour;
    const running = Date.now() - operation.startedAt < this.runCommandDelayMs;
    if (kind === "operations") {
      operation.polls++;
      if (b.never || running || operation.polls <= (b.pollsInProgress ?? 1)) return this.json(res, 200, { name: id, status: "InProgress", startTime: new Date().toISOString() });
      if (b.operationFails) {
        this.finish(operation);
        return this.json(res, 200, { name: id, status: "Failed", error: { code: "VMAgentStatusCommunicationError", message: "VM agent did not respond" } });
      }
      return this.json(res, 200, { name: id, status: "Succeeded", startTime: new Date().toISOString(), endTime: new Date().toISOString() });
    }
    if (b.never || running || operation.polls <= (b.pollsInProgress ?? 1)) return this.json(res, 202, undefined, { location: `${this.endpoint}/providers/Microsoft.Compute/locations/westeurope/operationResults/${id}` });
    this.finish(operation);
    const run = this.scripts.get(vm.name)?.at(-1);
    const stdout = typeof b.stdout === "function" ? b.stdout(run?.script ?? "", run?.parameters ?? {}) : (b.stdout ?? "");
    return this.json(res, 200, {
      value: [
        { code: "ComponentStatus/StdOut/succeeded", level: "Info", displayStatus: "Provisioning succeeded", message: stdout },
        { code: "ComponentStatus/StdErr/succeeded", level: "Info", displayStatus: "Provisioning succeeded", message: b.stderr ?? "" },
      ],
    });
  }
}
