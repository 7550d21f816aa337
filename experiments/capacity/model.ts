/**
 * The capacity model (docs/SETTINGS.md, "Capacity model") applied to the experiment. The formulas themselves live in
 * `domain/capacity.ts`; this file only combines them into the predictions the experiment checks.
 *
 * TIME_WAIT population. Connections are attempted at a constant rate R from t = 0; every
 * successful one occupies its ephemeral port for T seconds after its close. The population at t
 * is the number of successes in (t - T, t]:
 *
 *   - while no attempt has failed yet, every attempt succeeds, so N(t) = R * min(t, T);
 *   - at or below Rmax = P / T that never reaches P (R * T <= P), so N(t) = R * min(t, T) for good;
 *   - above Rmax the ports run out at t_x = P / R (< T, the `secondsToExhaustion` of the model)
 *     and from then on every port that leaves TIME_WAIT is taken again at once (attempts come
 *     faster than ports return), so N(t) = P.
 *
 *   Together: N(t) = min(R * min(t, T), P), saturating at t_x = P / R when R > P / T.
 *
 * In saturation the successes come in bursts of P / R seconds every T seconds, P per T window:
 * the goodput is exactly Rmax = P / T whatever the attempt rate.
 */
import { type CapacityPool, capacityPool, maxConnectionRate, secondsToExhaustion } from "../../domain/capacity";

export interface CapacityParameters {
  /** `P`: usable ephemeral ports. */
  readonly ports: number;
  /** `T`: TIME_WAIT seconds. */
  readonly timeWaitSeconds: number;
}

/** Model TIME_WAIT population `t` seconds after a constant-rate run at `rate`/s started. */
export function modelTimeWaitPopulation(p: CapacityParameters, rate: number, t: number): number {
  if (t <= 0) return 0;
  const exhaustion = secondsToExhaustion(p.ports, p.timeWaitSeconds, rate);
  if (t >= exhaustion) return p.ports;
  return Math.min(rate * Math.min(t, p.timeWaitSeconds), p.ports);
}

/** Model TIME_WAIT population after a burst of `ports` connections at t = 0 and nothing else. */
export function modelBurstPopulation(p: CapacityParameters, t: number): number {
  return t >= 0 && t < p.timeWaitSeconds ? p.ports : 0;
}

/** `Rmax` of the parameters (re-exported from the domain for the report). */
export function rmax(p: CapacityParameters): number {
  return maxConnectionRate(p.ports, p.timeWaitSeconds);
}

/** Predicted onset of failures at `rate`/s (Infinity at or below Rmax). */
export function predictedOnset(p: CapacityParameters, rate: number): number {
  return secondsToExhaustion(p.ports, p.timeWaitSeconds, rate);
}

/** Relative error of `measured` against `predicted`, in percent. */
export function percentError(measured: number, predicted: number): number {
  return ((measured - predicted) / predicted) * 100;
}

/**
 * The two pools of the corrected model (domain/capacity.ts `capacityPool`) as the experiment sees
 * them with `B` endpoints and a total attempt rate spread evenly over them:
 * - `bindFirst` (Windows' default, one pool per host): P ports for all endpoints together;
 * - `plainConnect` (the auto-reuse behaviour, a pool per back end): P ports for each endpoint.
 */
export type Sharing = "bindFirst" | "plainConnect";

/** The domain's pool for a sharing mode: `bindFirst` counts the host pool, `plainConnect` a pool of the same P per back end. */
export function poolOf(sharing: Sharing, p: CapacityParameters): CapacityPool {
  const space = { maxUserPort: p.ports, dynamicPortRangeStart: 1, dynamicPortRangeCount: p.ports };
  return capacityPool(space, sharing === "plainConnect" ? { start: 1, count: p.ports } : undefined);
}

/** Connections that succeed in a burst before the first failure: P (one pool) or B * P (a pool per endpoint). */
export function predictedBurstSuccesses(sharing: Sharing, p: CapacityParameters, endpoints: number): number {
  const pool = poolOf(sharing, p);
  return pool.model === "perBackend" ? pool.ports * endpoints : pool.ports;
}

/** The highest total rate the host sustains over `endpoints`: P / T, or B * P / T with a pool per endpoint. */
export function sustainableTotalRate(sharing: Sharing, p: CapacityParameters, endpoints: number): number {
  const pool = poolOf(sharing, p);
  return maxConnectionRate(pool.ports, p.timeWaitSeconds) * (pool.model === "perBackend" ? endpoints : 1);
}

/** Predicted onset of failures at a total rate spread over `endpoints` (Infinity when sustainable). */
export function predictedOnsetFor(sharing: Sharing, p: CapacityParameters, endpoints: number, totalRate: number): number {
  const pool = poolOf(sharing, p);
  const ratePerPool = pool.model === "perBackend" ? totalRate / endpoints : totalRate;
  return secondsToExhaustion(pool.ports, p.timeWaitSeconds, ratePerPool);
}

/** Model TIME_WAIT population of all endpoints together `t` seconds into a constant total rate. */
export function modelEndpointsPopulation(sharing: Sharing, p: CapacityParameters, endpoints: number, totalRate: number, t: number): number {
  if (sharing === "bindFirst") return modelTimeWaitPopulation(p, totalRate, t);
  return endpoints * modelTimeWaitPopulation(p, totalRate / endpoints, t);
}
