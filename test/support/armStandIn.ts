/**
 * A local stand-in for the Azure Resource Manager operations `mailhost drift` uses, on
 * https://127.0.0.1 with a self-signed certificate made for the run (openssl): list the VMs of a
 * resource group (paged), a VM's instance view, the action Run Command as a long-running operation
 * (202 with Azure-AsyncOperation and Location, polled to completion, result in the documented
 * `value: [{ code: "ComponentStatus/StdOut/succeeded", message }]` shape), extension updates, and
 * VM restart (202 with Azure-AsyncOperation and Location, polled; the instance view then moves
 * running -> stopping -> starting -> running, with a VM agent that may report ready late, or a VM
 * that never comes back), and a VM's guest configuration assignment (GET and PUT of
 * `Microsoft.GuestConfiguration/guestConfigurationAssignments`, API 2024-04-05, bodies shaped after
 * the REST spec examples getGuestConfigurationAssignment.json and
 * createOrUpdateGuestConfigurationAssignment.json: a PUT answers 200 for an existing assignment,
 * 201 for a new one, with `complianceStatus` "Pending").
 * Behaviour per VM is scripted by the test; the stand-in records what it was asked.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as https from "node:https";
import * as net from "node:net";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";

export interface VmBehaviour {
  /**
   * Collector stdout, or a function of the script, parameters and the number of restarts the VM
   * has come back from (remediation scripts get "{}" by default).
   */
  stdout?: string | ((script: string, parameters: Record<string, string>, boots: number) => string);
  stderr?: string;
  powerState?: string;
  /** Answer the first N run-command POSTs with 429 and Retry-After: 1. */
  throttle?: number;
  /** Answer the first N run-command POSTs with 409: another run command is executing on the VM. */
  busy?: number;
  /** Answer every run-command POST with that 409. */
  alwaysBusy?: boolean;
  /** Answer every run-command POST with 500. */
  alwaysFail500?: boolean;
  /** Polls answered "InProgress" before "Succeeded". Default 1. */
  pollsInProgress?: number;
  /** The operation never finishes. */
  never?: boolean;
  /** The operation ends "Failed". */
  operationFails?: boolean;
  /** After a restart, instance-view reads that still show the VM agent "Not Ready" once the VM runs again. Default 0. */
  agentReadyAfterReads?: number;
  /** After a restart, the VM stays "starting" and never runs again. */
  neverComesBack?: boolean;
}

/** Where a VM is in a restart: Azure's instance-view power states, in the order a restart passes them. */
export type PowerTransition = "running" | "stopping" | "starting";

export interface StandInVm {
  readonly name: string;
  readonly tags: Record<string, string>;
  /** Availability zones the listing reports for the VM. Defaults to none. */
  readonly zones?: string[];
  behaviour: VmBehaviour;
}

interface Operation {
  readonly vm: string;
  readonly kind: "runCommand" | "restart";
  /** When the operation was accepted (ms since the epoch). */
  readonly startedAt: number;
  polls: number;
  finished: boolean;
}

/** A VM's restart state in the stand-in. */
interface RestartState {
  power: PowerTransition;
  boots: number;
  agentNotReadyReads: number;
}

export const STAND_IN_TOKEN = "stand-in-test-token";

/** Azure's message for a run command sent while another one executes on the VM (409 Conflict). */
export const RUN_COMMAND_BUSY_MESSAGE = "Run command extension execution is in progress. Please wait for completion before invoking a run command.";
/** The object id the stand-in's AuthorizationFailed messages name. */
export const STAND_IN_OBJECT_ID = "00000000-0000-0000-0000-00000000a11c";

/**
 * Error bodies shaped after Azure's published examples (learn.microsoft.com: "Troubleshoot common
 * Azure deployment errors", "Resolve errors for resource not found", "Azure REST API reference:
 * error responses"): `{ error: { code, message } }`.
 */
export const ARM_ERRORS = {
  invalidToken: { code: "InvalidAuthenticationToken", message: "The access token is invalid." },
  authorizationFailed: (action: string, scope: string) => ({
    code: "AuthorizationFailed",
    message: `The client '${STAND_IN_OBJECT_ID}' with object id '${STAND_IN_OBJECT_ID}' does not have authorization to perform action '${action}' over scope '${scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
  }),
  resourceGroupNotFound: (group: string) => ({ code: "ResourceGroupNotFound", message: `Resource group '${group}' could not be found.` }),
} as const;

/** A TCP endpoint that accepts connections and never answers (not even the TLS handshake). */
export async function silentEndpoint(): Promise<{ endpoint: string; connections: () => number; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  let count = 0;
  const server = net.createServer((socket) => {
    count++;
    sockets.add(socket);
    socket.on("error", () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    endpoint: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    connections: () => count,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** An endpoint on a port where nothing listens (connections are refused). */
export async function refusedEndpoint(): Promise<string> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `https://127.0.0.1:${port}`;
}

function makeCertificate(): { key: string; cert: string; dir: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "arm-stand-in-"));
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-days",
      "1",
      "-subj",
      "/CN=127.0.0.1",
      "-addext",
      "subjectAltName=IP:127.0.0.1",
      "-keyout",
      path.join(dir, "key.pem"),
      "-out",
      path.join(dir, "cert.pem"),
    ],
    { stdio: "ignore" },
  );
  return { key: fs.readFileSync(path.join(dir, "key.pem"), "utf8"), cert: fs.readFileSync(path.join(dir, "cert.pem"), "utf8"), dir };
}

export class ArmStandIn {
  readonly vms = new Map<string, StandInVm>();
  private readonly operations = new Map<string, Operation>();
  private nextOperation = 1;
  private inFlight = 0;
  /** Most run commands in flight at once (POST accepted, result not yet fetched). */
  maxInFlight = 0;
  /** Raw bodies of the run-command POSTs per VM, as they arrived. */
  readonly runCommandBodies = new Map<string, string[]>();
  /** Run-command POSTs per VM (including throttled and failed ones). */
  readonly runCommandPosts = new Map<string, number>();
  /** Scripts run per VM with their parameters. */
  readonly scripts = new Map<string, Array<{ script: string; parameters: Record<string, string> }>>();
  /** Guest configuration assignments per VM (lower case) and assignment name: the resource as Azure returns it. */
  readonly assignments = new Map<string, Map<string, Record<string, unknown>>>();
  /** Bodies of the assignment PUTs per VM, as they arrived (parsed). */
  readonly assignmentPuts = new Map<string, Array<Record<string, unknown>>>();
  /** forceUpdateTag values set per VM and extension. */
  readonly extensionUpdates = new Map<string, Array<{ extension: string; forceUpdateTag: string }>>();
  /** Requests without the expected bearer token. */
  unauthorized = 0;
  /** Restart POSTs, in order, with the time they arrived (ms since the epoch). */
  readonly restartPosts: Array<{ vm: string; at: number; downAtPost: string[] }> = [];
  /** Power states each VM went through, in order, from its first restart on (starts with "running"). */
  readonly powerHistory = new Map<string, PowerTransition[]>();
  /** Instance-view answers per VM that showed the VM running but its agent "Not Ready". */
  readonly agentNotReadyAnswers = new Map<string, number>();

  private setPower(vm: string, r: RestartState, power: PowerTransition): void {
    r.power = power;
    const history = this.powerHistory.get(vm) ?? ["running"];
    history.push(power);
    this.powerHistory.set(vm, history);
  }
  private readonly restarts = new Map<string, RestartState>();

  /** The restart state of a VM (running and never restarted until a restart POST). */
  restartState(vm: string): { power: PowerTransition; boots: number } {
    const r = this.restarts.get(vm);
    return { power: r?.power ?? "running", boots: r?.boots ?? 0 };
  }

  /** One step of a restart: stopping -> starting -> running (a VM that never comes back stays starting). */
  private advance(vm: StandInVm): void {
    const r = this.restarts.get(vm.name);
    if (!r) return;
    if (r.power === "stopping") this.setPower(vm.name, r, "starting");
    else if (r.power === "starting" && !vm.behaviour.neverComesBack) {
      this.setPower(vm.name, r, "running");
      r.boots++;
      r.agentNotReadyReads = vm.behaviour.agentReadyAfterReads ?? 0;
    }
  }
  /** Actions the caller is not allowed (answered 403 AuthorizationFailed), e.g. `Microsoft.Compute/virtualMachines/read`. */
  readonly deniedActions = new Set<string>();
  /**
   * Azure Resource Graph: the rows of `guestconfigurationresources` served for any query (the
   * stand-in does not evaluate KQL), in pages of at most `graphPageSize` rows.
   */
  graphRows: unknown[] = [];
  graphPageSize = 1000;
  /** Answer the next N Resource Graph requests with 429 and only the quota headers (no Retry-After). */
  graphThrottle = 0;
  /** Resource Graph requests answered with a page (query, scopes, paging options). */
  readonly graphRequests: Array<{ query: string; subscriptions: string[]; managementGroups?: string[]; top?: number; skipToken?: string }> = [];
  /** Every Resource Graph POST, throttled ones included. */
  graphPosts = 0;
  /** Every HTTP request received. */
  requests = 0;
  /** VMs per page of the VM list (small by default, so clients must follow nextLink). */
  vmPageSize = 2;
  /** Delay before each Run Command result is served, ms (stands for Azure's run time in benchmarks). */
  runCommandDelayMs = 0;

  private constructor(
    private readonly server: https.Server,
    readonly ca: string,
    readonly caFile: string,
    private readonly certDir: string,
    readonly subscription: string,
    readonly resourceGroup: string,
  ) {}

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
    req.on("data", (d) => {
      body += d;
    });
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
      return this.json(
        res,
        401,
        { error: ARM_ERRORS.invalidToken },
        {
          "www-authenticate": `Bearer authorization_uri="https://login.microsoftonline.com/common", error="invalid_token", error_description="${ARM_ERRORS.invalidToken.message}"`,
        },
      );
    }
    const url = new URL(req.url ?? "/", this.endpoint);
    const base = `/subscriptions/${this.subscription}/resourceGroups/${this.resourceGroup}/providers/Microsoft.Compute/virtualMachines`;
    const p = url.pathname;
    const group = /^\/subscriptions\/[^/]+\/resourceGroups\/([^/]+)/i.exec(p)?.[1];
    if (group !== undefined && decodeURIComponent(group) !== this.resourceGroup) {
      return this.json(res, 404, { error: ARM_ERRORS.resourceGroupNotFound(decodeURIComponent(group)) });
    }
    const action =
      req.method === "GET" && p === base
        ? "Microsoft.Compute/virtualMachines/read"
        : req.method === "GET" && p.endsWith("/instanceView")
          ? "Microsoft.Compute/virtualMachines/instanceView/read"
          : req.method === "POST" && p.endsWith("/runCommand")
            ? "Microsoft.Compute/virtualMachines/runCommand/action"
            : /\/extensions\//.test(p)
              ? "Microsoft.Compute/virtualMachines/extensions/write"
              : /\/guestConfigurationAssignments\//.test(p)
                ? `Microsoft.GuestConfiguration/guestConfigurationAssignments/${req.method === "GET" ? "read" : "write"}`
                : undefined;
    if (action !== undefined && this.deniedActions.has(action)) {
      return this.json(res, 403, { error: ARM_ERRORS.authorizationFailed(action, p.replace(/\/(instanceView|runCommand)$/, "")) });
    }

    if (req.method === "GET" && p === base) {
      // Paged (`vmPageSize` VMs a page), so the client must follow nextLink.
      const all = [...this.vms.values()];
      const skip = Number(url.searchParams.get("skip") ?? "0");
      const page = all.slice(skip, skip + this.vmPageSize).map((vm) => ({
        id: `${base}/${vm.name}`,
        name: vm.name,
        type: "Microsoft.Compute/virtualMachines",
        location: "westeurope",
        tags: vm.tags,
        ...(vm.zones ? { zones: vm.zones } : {}),
        properties: {},
      }));
      const next =
        skip + this.vmPageSize < all.length
          ? `${this.endpoint}${base}?api-version=${url.searchParams.get("api-version")}&skip=${skip + this.vmPageSize}`
          : undefined;
      return this.json(res, 200, { value: page, ...(next ? { nextLink: next } : {}) });
    }

    const vmMatch = new RegExp(`^${base}/([^/]+)(/.*)?$`).exec(p);
    if (vmMatch) {
      const vm = this.vms.get(decodeURIComponent(vmMatch[1]));
      if (!vm) return this.json(res, 404, { error: { code: "ResourceNotFound", message: `VM ${vmMatch[1]} not found` } });
      const rest = vmMatch[2] ?? "";
      if (req.method === "GET" && rest === "/instanceView") return this.instanceView(vm, res);
      if (req.method === "POST" && rest === "/runCommand") return this.runCommand(vm, body, res);
      if (req.method === "POST" && rest === "/restart") return this.restart(vm, res);
      const gca = /^\/providers\/Microsoft\.GuestConfiguration\/guestConfigurationAssignments\/([^/]+)$/.exec(rest);
      if (gca && (req.method === "GET" || req.method === "PUT")) return this.assignment(vm, decodeURIComponent(gca[1]), req.method, url, body, res);
      const ext = /^\/extensions\/([^/]+)$/.exec(rest);
      if (ext && (req.method === "PATCH" || req.method === "PUT")) {
        const parsed = JSON.parse(body || "{}") as { properties?: { forceUpdateTag?: string } };
        const list = this.extensionUpdates.get(vm.name) ?? [];
        list.push({ extension: decodeURIComponent(ext[1]), forceUpdateTag: parsed.properties?.forceUpdateTag ?? "" });
        this.extensionUpdates.set(vm.name, list);
        return this.json(res, 200, {
          id: `${base}/${vm.name}/extensions/${ext[1]}`,
          name: ext[1],
          properties: { provisioningState: "Succeeded", forceUpdateTag: parsed.properties?.forceUpdateTag },
        });
      }
    }

    if (req.method === "POST" && p === "/providers/Microsoft.ResourceGraph/resources") return this.resourceGraph(url, body, res);

    const op = /^\/providers\/Microsoft.Compute\/locations\/westeurope\/(operations|operationResults)\/(\d+)$/.exec(p);
    if (op && req.method === "GET") return this.operation(op[1] as "operations" | "operationResults", op[2], res);
    return this.json(res, 404, { error: { code: "NotFound", message: `${req.method} ${p}` } });
  }

  /** Gives a VM a guest configuration assignment, as Azure returns it after a deployment. */
  setAssignment(vm: string, assignment: Record<string, unknown> & { name: string }): void {
    const byName = this.assignments.get(vm.toLowerCase()) ?? new Map<string, Record<string, unknown>>();
    byName.set(assignment.name.toLowerCase(), structuredClone(assignment));
    this.assignments.set(vm.toLowerCase(), byName);
  }

  /**
   * GET or PUT of a VM's guest configuration assignment. The PUT body must carry `location` and
   * `properties.guestConfiguration.name` (required by the spec) and may not carry read-only
   * properties (the answer's complianceStatus, latestAssignmentReport, provisioningState, ...).
   */
  private assignment(vm: StandInVm, name: string, method: "GET" | "PUT", url: URL, body: string, res: import("node:http").ServerResponse): void {
    if (url.searchParams.get("api-version") !== "2024-04-05")
      return this.json(res, 400, { error: { code: "InvalidApiVersionParameter", message: `api-version ${url.searchParams.get("api-version")}` } });
    const id = `/subscriptions/${this.subscription}/resourceGroups/${this.resourceGroup}/providers/Microsoft.Compute/virtualMachines/${vm.name}/providers/Microsoft.GuestConfiguration/guestConfigurationAssignments/${name}`;
    const existing = this.assignments.get(vm.name.toLowerCase())?.get(name.toLowerCase());
    if (method === "GET") {
      if (!existing)
        return this.json(res, 404, {
          error: {
            code: "ResourceNotFound",
            message: `The Resource 'Microsoft.GuestConfiguration/guestConfigurationAssignments/${name}' under resource group '${this.resourceGroup}' was not found.`,
          },
        });
      return this.json(res, 200, { ...existing, id });
    }
    const input = JSON.parse(body || "{}") as {
      name?: string;
      location?: string;
      properties?: { context?: string; guestConfiguration?: Record<string, unknown> } & Record<string, unknown>;
    };
    this.assignmentPuts.set(vm.name, [...(this.assignmentPuts.get(vm.name) ?? []), input as Record<string, unknown>]);
    const readOnly = [
      "complianceStatus",
      "lastComplianceStatusChecked",
      "latestReportId",
      "latestAssignmentReport",
      "assignmentHash",
      "parameterHash",
      "provisioningState",
      "resourceType",
      "targetResourceId",
      "vmssVMList",
    ];
    const sentReadOnly = readOnly.filter((k) => input.properties !== undefined && k in input.properties);
    if (typeof input.location !== "string" || typeof input.properties?.guestConfiguration?.name !== "string" || sentReadOnly.length > 0) {
      return this.json(res, 400, {
        error: {
          code: "InvalidRequestContent",
          message: `location and properties.guestConfiguration.name are required; read-only properties sent: ${sentReadOnly.join(", ") || "none"}`,
        },
      });
    }
    const stored = {
      name,
      location: input.location,
      properties: {
        ...input.properties,
        complianceStatus: "Pending",
        assignmentHash: null,
        latestReportId: null,
        lastComplianceStatusChecked: null,
        provisioningState: "Succeeded",
        guestConfiguration: { ...input.properties.guestConfiguration },
      },
    };
    this.setAssignment(vm.name, stored);
    return this.json(res, existing ? 200 : 201, { ...stored, id });
  }

  private instanceView(vm: StandInVm, res: import("node:http").ServerResponse): void {
    this.advance(vm);
    const r = this.restarts.get(vm.name);
    const power = r ? r.power : (vm.behaviour.powerState ?? "running");
    let agent = power === "running" ? "Ready" : "Not Ready";
    if (r && power === "running" && r.agentNotReadyReads > 0) {
      r.agentNotReadyReads--;
      this.agentNotReadyAnswers.set(vm.name, (this.agentNotReadyAnswers.get(vm.name) ?? 0) + 1);
      agent = "Not Ready";
    }
    // Shapes as in Azure's published instance-view examples.
    return this.json(res, 200, {
      computerName: vm.name,
      vmAgent: {
        vmAgentVersion: "2.7.41491.1130",
        statuses: [
          agent === "Ready"
            ? { code: "ProvisioningState/succeeded", level: "Info", displayStatus: "Ready", message: "Guest Agent is running", time: new Date().toISOString() }
            : {
                code: "ProvisioningState/Unavailable",
                level: "Warning",
                displayStatus: "Not Ready",
                message: "VM status blob is found but not yet populated.",
                time: new Date().toISOString(),
              },
        ],
      },
      statuses: [
        { code: "ProvisioningState/succeeded", level: "Info", displayStatus: "Provisioning succeeded" },
        { code: `PowerState/${power}`, level: "Info", displayStatus: `VM ${power}` },
      ],
    });
  }

  private restart(vm: StandInVm, res: import("node:http").ServerResponse): void {
    // Every VM not fully back (not running, or its agent not ready yet) when this restart arrives.
    const down = [...this.restarts.entries()].filter(([, r]) => r.power !== "running" || r.agentNotReadyReads > 0).map(([name]) => name);
    this.restartPosts.push({ vm: vm.name, at: Date.now(), downAtPost: down });
    const r: RestartState = this.restarts.get(vm.name) ?? { power: "running", boots: 0, agentNotReadyReads: 0 };
    this.restarts.set(vm.name, r);
    this.setPower(vm.name, r, "stopping");
    const id = String(this.nextOperation++);
    this.operations.set(id, { vm: vm.name, kind: "restart", startedAt: Date.now(), polls: 0, finished: false });
    const loc = `${this.endpoint}/providers/Microsoft.Compute/locations/westeurope`;
    return this.json(res, 202, undefined, {
      "azure-asyncoperation": `${loc}/operations/${id}?api-version=2026-04-01`,
      location: `${loc}/operationResults/${id}?api-version=2026-04-01`,
    });
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
    if (url.searchParams.get("api-version") !== "2024-04-01")
      return this.json(res, 400, { error: { code: "InvalidApiVersionParameter", message: `api-version ${url.searchParams.get("api-version")}` } });
    if (this.graphThrottle > 0) {
      this.graphThrottle--;
      return this.json(
        res,
        429,
        { error: { code: "RateLimiting", message: "Please provide below info when asking for support: timestamp = ..., correlationId = ...." } },
        { ...quota, "x-ms-user-quota-remaining": "0" },
      );
    }
    const input = JSON.parse(body || "{}") as {
      query?: string;
      subscriptions?: string[];
      managementGroups?: string[];
      options?: { $top?: number; $skipToken?: string; resultFormat?: string };
    };
    if (typeof input.query !== "string" || input.query.trim() === "")
      return this.json(res, 400, { error: { code: "BadRequest", message: "query is required" } });
    const skipToken = input.options?.$skipToken;
    const first = this.graphRequests[0];
    if (
      skipToken !== undefined &&
      (first === undefined ||
        first.query !== input.query ||
        JSON.stringify(first.subscriptions) !== JSON.stringify(input.subscriptions ?? []) ||
        JSON.stringify(first.managementGroups) !== JSON.stringify(input.managementGroups))
    ) {
      return this.json(res, 400, { error: { code: "BadRequest", message: "a $skipToken must come with the same query and scopes" } });
    }
    this.graphRequests.push({
      query: input.query,
      subscriptions: input.subscriptions ?? [],
      ...(input.managementGroups ? { managementGroups: input.managementGroups } : {}),
      top: input.options?.$top,
      skipToken,
    });
    const offset = skipToken === undefined ? 0 : Number(JSON.parse(Buffer.from(skipToken, "base64").toString("utf8")).offset);
    const size = Math.min(this.graphPageSize, input.options?.$top ?? 100);
    const page = this.graphRows.slice(offset, offset + size);
    const next = offset + size < this.graphRows.length ? Buffer.from(JSON.stringify({ offset: offset + size })).toString("base64") : undefined;
    return this.json(
      res,
      200,
      { totalRecords: this.graphRows.length, count: page.length, resultTruncated: "false", facets: [], ...(next ? { $skipToken: next } : {}), data: page },
      quota,
    );
  }

  private runCommand(vm: StandInVm, body: string, res: import("node:http").ServerResponse): void {
    this.runCommandPosts.set(vm.name, (this.runCommandPosts.get(vm.name) ?? 0) + 1);
    this.runCommandBodies.set(vm.name, [...(this.runCommandBodies.get(vm.name) ?? []), body]);
    const b = vm.behaviour;
    if (this.restarts.has(vm.name) && this.restarts.get(vm.name)!.power !== "running") {
      return this.json(res, 409, {
        error: { code: "OperationNotAllowed", message: "Operation 'runCommand' is not allowed on VM since the VM is not running." },
      });
    }
    if ((b.throttle ?? 0) > 0) {
      b.throttle = (b.throttle ?? 0) - 1;
      return this.json(res, 429, { error: { code: "TooManyRequests", message: "throttled" } }, { "retry-after": "1" });
    }
    if (b.alwaysBusy || (b.busy ?? 0) > 0) {
      if (!b.alwaysBusy) b.busy = (b.busy ?? 0) - 1;
      // Azure's answer while another run command executes on the VM.
      return this.json(res, 409, { error: { code: "Conflict", message: RUN_COMMAND_BUSY_MESSAGE } });
    }
    if (b.alwaysFail500) return this.json(res, 500, { error: { code: "InternalServerError", message: "stand-in failure" } });
    const input = JSON.parse(body || "{}") as { commandId?: string; script?: string[]; parameters?: Array<{ name: string; value: string }> };
    if (input.commandId !== "RunPowerShellScript") return this.json(res, 400, { error: { code: "BadRequest", message: `commandId ${input.commandId}` } });
    const parameters = Object.fromEntries((input.parameters ?? []).map((x) => [x.name, x.value]));
    const list = this.scripts.get(vm.name) ?? [];
    list.push({ script: (input.script ?? []).join("\n"), parameters });
    this.scripts.set(vm.name, list);
    const id = String(this.nextOperation++);
    this.operations.set(id, { vm: vm.name, kind: "runCommand", startedAt: Date.now(), polls: 0, finished: false });
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
    if (operation.kind === "restart") {
      // A restart's operation ends once the host has been started again, as Azure's does; the
      // guest (and its agent) may still be booting.
      if (kind === "operations") {
        operation.polls++;
        this.advance(vm);
        const power = this.restarts.get(vm.name)!.power;
        if (power === "stopping" || operation.polls <= (b.pollsInProgress ?? 1))
          return this.json(res, 200, { name: id, status: "InProgress", startTime: new Date().toISOString() });
        operation.finished = true;
        return this.json(res, 200, { name: id, status: "Succeeded", startTime: new Date().toISOString(), endTime: new Date().toISOString() });
      }
      if (!operation.finished)
        return this.json(res, 202, undefined, { location: `${this.endpoint}/providers/Microsoft.Compute/locations/westeurope/operationResults/${id}` });
      res.writeHead(200);
      return void res.end();
    }
    const running = Date.now() - operation.startedAt < this.runCommandDelayMs;
    if (kind === "operations") {
      operation.polls++;
      if (b.never || running || operation.polls <= (b.pollsInProgress ?? 1))
        return this.json(res, 200, { name: id, status: "InProgress", startTime: new Date().toISOString() });
      if (b.operationFails) {
        this.finish(operation);
        return this.json(res, 200, { name: id, status: "Failed", error: { code: "VMAgentStatusCommunicationError", message: "VM agent did not respond" } });
      }
      return this.json(res, 200, { name: id, status: "Succeeded", startTime: new Date().toISOString(), endTime: new Date().toISOString() });
    }
    if (b.never || running || operation.polls <= (b.pollsInProgress ?? 1))
      return this.json(res, 202, undefined, { location: `${this.endpoint}/providers/Microsoft.Compute/locations/westeurope/operationResults/${id}` });
    this.finish(operation);
    const run = this.scripts.get(vm.name)?.at(-1);
    const stdout = typeof b.stdout === "function" ? b.stdout(run?.script ?? "", run?.parameters ?? {}, this.restartState(vm.name).boots) : (b.stdout ?? "");
    return this.json(res, 200, {
      value: [
        { code: "ComponentStatus/StdOut/succeeded", level: "Info", displayStatus: "Provisioning succeeded", message: stdout },
        { code: "ComponentStatus/StdErr/succeeded", level: "Info", displayStatus: "Provisioning succeeded", message: b.stderr ?? "" },
      ],
    });
  }
}
