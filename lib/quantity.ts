// Kubernetes resource quantities ("100m", "1", "1.5", "64Mi", "1Gi", "2e3") as numbers. Parsing is
// exact (BigInt arithmetic on the decimal mantissa), so "0.1" cpu is 100 millicores, never 101; values
// round up like resource.Quantity's MilliValue()/Value(), which is what requests and limits need.

const binarySuffixes: Record<string, bigint> = {
  Ki: 1024n,
  Mi: 1024n ** 2n,
  Gi: 1024n ** 3n,
  Ti: 1024n ** 4n,
  Pi: 1024n ** 5n,
  Ei: 1024n ** 6n,
};
const decimalExponents: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

const quantityPattern = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(.*)$/;

export class QuantityError extends Error {
  constructor(value: string) {
    super(`quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$': ${JSON.stringify(value)}`);
    this.name = 'QuantityError';
  }
}

/** An exact rational: numerator / denominator, both BigInt, denominator > 0. */
interface Rational {
  num: bigint;
  den: bigint;
}

function parseRational(input: string | number): Rational {
  const s = typeof input === 'number' ? String(input) : input.trim();
  const m = quantityPattern.exec(s);
  if (!m) throw new QuantityError(String(input));
  const [, sign, digits, suffix] = m;
  const [whole, frac = ''] = digits.split('.');
  let num = BigInt((whole || '0') + frac);
  let den = 10n ** BigInt(frac.length);
  if (sign === '-') num = -num;
  if (suffix in binarySuffixes) {
    num *= binarySuffixes[suffix];
  } else {
    let exp: number;
    if (suffix in decimalExponents) exp = decimalExponents[suffix];
    else if (/^[eE][+-]?\d+$/.test(suffix)) exp = Number(suffix.slice(1));
    else throw new QuantityError(String(input));
    if (exp >= 0) num *= 10n ** BigInt(exp);
    else den *= 10n ** BigInt(-exp);
  }
  return { num, den };
}

function ceilDiv(num: bigint, den: bigint): bigint {
  const q = num / den;
  return num % den > 0n ? q + 1n : q;
}

/** The quantity scaled by 1000 and rounded up: cpu "100m" → 100, "1" → 1000, "0.5" → 500. */
export function milliValue(q: string | number): number {
  const r = parseRational(q);
  return Number(ceilDiv(r.num * 1000n, r.den));
}

/** The quantity rounded up to a whole number: memory "64Mi" → 67108864, pods "110" → 110. */
export function value(q: string | number): number {
  const r = parseRational(q);
  return Number(ceilDiv(r.num, r.den));
}

/** Whether a string is a well-formed quantity. */
export function isQuantity(q: string): boolean {
  try {
    parseRational(q);
    return true;
  } catch {
    return false;
  }
}
