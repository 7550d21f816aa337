/**
 * During preview a property may be unknown; the policy SDK's proxy throws `UnknownValueError`
 * when one is read. A stack policy that checks many resources reads such values through
 * {@link known}, so one unknown value skips one check instead of the whole policy.
 */
export function known<T>(read: () => T): { ok: true; value: T } | { ok: false } {
  try {
    return { ok: true, value: read() };
  } catch (err) {
    if (err instanceof Error && err.constructor.name === "UnknownValueError") return { ok: false };
    throw err;
  }
}
