/**
 * A pure function of a string, remembered for the few keys a router sees over and over (topic names, the
 * runbook and dashboard links). Bounded: past `max` keys it starts again; long keys are never kept.
 */
export function memoized<R>(fn: (key: string) => R, max = 256): (key: string) => R {
  const seen = new Map<string, R>();
  return (key) => {
    const hit = seen.get(key);
    if (hit !== undefined || seen.has(key)) return hit as R;
    const value = fn(key);
    if (key.length <= 2048) {
      if (seen.size >= max) seen.clear();
      seen.set(key, value);
    }
    return value;
  };
}
