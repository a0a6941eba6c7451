// Timestamps as Kubernetes writes metav1.Time: RFC 3339 in UTC with whole seconds ("2026-01-02T03:04:05Z").

/** RFC 3339 with whole seconds (truncated), from a Date or epoch milliseconds (default: now). */
export function rfc3339(t: Date | number = Date.now()): string {
  const ms = typeof t === 'number' ? t : t.getTime();
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** metav1.MicroTime: RFC 3339 with six fractional digits (Leases, Events' eventTime). */
export function microTime(t: Date | number = Date.now()): string {
  const ms = typeof t === 'number' ? t : t.getTime();
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
