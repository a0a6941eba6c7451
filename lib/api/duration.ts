// Go-style durations as Kubernetes flags take them ("500ms", "10s", "1.5m", "2h", "1h30m").

const unitMs: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Milliseconds in a duration. A bare number takes `bareUnit` (the flag's own unit: kubectl's
 * --timeout reads seconds, steer's agent intervals read milliseconds). Throws on anything else.
 */
export function parseDuration(text: string, bareUnit: 'ms' | 's'): number {
  const v = text.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * unitMs[bareUnit];
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let end = 0;
  for (let m = re.exec(v); m; m = re.exec(v)) {
    total += Number(m[1]) * unitMs[m[2]];
    end = re.lastIndex;
  }
  if (v === '' || end !== v.length) throw new Error(`invalid duration "${text}" (use e.g. 500ms, 10s, 2m)`);
  return total;
}
