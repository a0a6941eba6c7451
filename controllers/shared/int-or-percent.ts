// Int-or-percent fields (maxSurge, maxUnavailable) scaled against a total, as apimachinery's intstr
// does for every controller that has them. Pure.

/**
 * An int-or-percent value scaled against total, as apimachinery's GetScaledValueFromIntOrPercent:
 * "25%" of 10 is 3 rounding up, 2 rounding down. Throws on a malformed value.
 */
export function scaledValue(v: number | string | undefined, total: number, roundUp: boolean): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number') return v;
  const m = /^(\d+)%$/.exec(v);
  if (!m) {
    // Kubernetes accepts an int serialised as a string only as a percent; plain digits are invalid.
    throw new Error(`invalid value for IntOrString: invalid type: string is not a percentage: ${v}`);
  }
  const exact = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}
