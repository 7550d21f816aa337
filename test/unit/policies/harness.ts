/** Calls policies directly, as the policy SDK would, for unit tests. */
import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";

export interface TestResource {
  type: string;
  name: string;
  props: Record<string, unknown>;
  urn?: string;
  dependencies?: TestResource[];
  propertyDependencies?: Record<string, TestResource[]>;
}

const urnOf = (r: TestResource) => r.urn ?? `urn:pulumi:test::mailhost::${r.type}::${r.name}`;

/** Defaults of a policy's configSchema, overridden by `config` (the SDK does the same). */
function configFor(policy: { configSchema?: { properties: Record<string, { default?: unknown }> } }, config: Record<string, unknown>): Record<string, unknown> {
  const defaults = Object.fromEntries(
    Object.entries(policy.configSchema?.properties ?? {})
      .filter(([, s]) => s.default !== undefined)
      .map(([k, s]) => [k, s.default]),
  );
  return { ...defaults, ...config };
}

/** Messages a resource policy reports for one resource. */
export async function violations(policy: ResourceValidationPolicy, resource: TestResource, config: Record<string, unknown> = {}): Promise<string[]> {
  const messages: string[] = [];
  const validate = policy.validateResource;
  const validations = validate === undefined ? [] : Array.isArray(validate) ? validate : [validate];
  for (const validate of validations) {
    await validate(
      {
        type: resource.type,
        name: resource.name,
        urn: urnOf(resource),
        props: structuredClone(resource.props),
        opts: {} as never,
        stackTags: new Map(),
        isType: () => false,
        asType: () => undefined,
        getConfig: <T extends object>() => configFor(policy as never, config) as T,
        notApplicable: (reason?: string) => {
          throw new Error(`not applicable: ${reason}`);
        },
      },
      (message: string) => {
        messages.push(message);
      },
    );
  }
  return messages;
}

/** Messages (and URNs) a stack policy reports for a set of resources. */
export async function stackViolations(
  policy: StackValidationPolicy,
  resources: TestResource[],
  config: Record<string, unknown> = {},
): Promise<Array<{ message: string; urn?: string; enforcementLevel?: string }>> {
  const cache = new Map<TestResource, PolicyResource>();
  const convert = (r: TestResource): PolicyResource => {
    const existing = cache.get(r);
    if (existing) return existing;
    const out = {
      type: r.type,
      name: r.name,
      urn: urnOf(r),
      props: structuredClone(r.props),
      opts: {} as never,
      dependencies: [],
      propertyDependencies: {},
    } as unknown as PolicyResource;
    cache.set(r, out);
    out.dependencies = (r.dependencies ?? []).map(convert);
    out.propertyDependencies = Object.fromEntries(Object.entries(r.propertyDependencies ?? {}).map(([k, v]) => [k, v.map(convert)]));
    return out;
  };
  const out: Array<{ message: string; urn?: string; enforcementLevel?: string }> = [];
  await policy.validateStack(
    {
      resources: resources.map(convert),
      stackTags: new Map(),
      getConfig: <T extends object>() => configFor(policy as never, config) as T,
      notApplicable: (reason?: string) => {
        throw new Error(`not applicable: ${reason}`);
      },
    },
    ((message: string | { message: string; urn?: string; enforcementLevel?: string }, urn?: string) => {
      // The SDK also takes an object that sets the violation's own level.
      out.push(typeof message === "object" ? { message: message.message, urn: message.urn, enforcementLevel: message.enforcementLevel } : { message, urn });
    }) as (message: string, urn?: string) => void,
  );
  return out;
}
