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

/** The message Kubernetes gives for a string that is not a quantity. */
export const quantityRegexMessage =
  "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

export class QuantityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QuantityError';
  }
}

function invalid(input: string | number): QuantityError {
  return new QuantityError(`${quantityRegexMessage}: ${JSON.stringify(String(input))}`);
}

/** An exact rational: numerator / denominator, both BigInt, denominator > 0. */
interface Rational {
  num: bigint;
  den: bigint;
}

function parseRational(input: string | number): Rational {
  const s = typeof input === 'number' ? String(input) : input.trim();
  const m = quantityPattern.exec(s);
  if (!m) throw invalid(input);
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
    else throw invalid(input);
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

/** The quantity scaled by 10^9 and rounded up: cpu "250m" → 250000000, "1234567n" → 1234567 (nanocores). */
export function nanoValue(q: string | number): number {
  const r = parseRational(q);
  return Number(ceilDiv(r.num * 1_000_000_000n, r.den));
}

/** The quantity rounded up to a whole number: memory "64Mi" → 67108864, pods "110" → 110. */
export function value(q: string | number): number {
  const r = parseRational(q);
  return Number(ceilDiv(r.num, r.den));
}

// Parsing with the quantity's format, comparison and Kubernetes' canonical printing (Quantity.String()),
// as the apiserver's validation and defaulting need them. Values here are JS numbers: exact for every
// integer up to 2^53 and for millis, which is enough to validate and compare requests and limits;
// milliValue()/value() above stay exact for scheduling and cgroup limits.

export type QuantityFormat = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

export interface Quantity {
  /** The value in base units (cores, bytes). */
  value: number;
  format: QuantityFormat;
}

const shapeRe = /^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$/;
const numberRe = /^[+-]?(\d+\.?\d*|\.\d+)$/;

const binaryMultipliers: Record<string, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};
const decimalSuffixExponents: Record<string, number> = {
  n: -9,
  u: -6,
  m: -3,
  '': 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};

/** Parses a quantity (a JSON number is read as its decimal string). Throws QuantityError. */
export function parseQuantity(input: string | number): Quantity {
  const s = typeof input === 'number' ? String(input) : input.trim();
  if (typeof input === 'number' && !Number.isFinite(input)) throw new QuantityError(quantityRegexMessage);
  // JS prints 1e21 and beyond in exponent form, which is also a valid quantity.
  const m = shapeRe.exec(s);
  if (!m) throw new QuantityError(quantityRegexMessage);
  const [, num, suffix] = m;
  if (!numberRe.test(num)) throw new QuantityError(quantityRegexMessage);
  const base = Number(num);
  if (suffix in binaryMultipliers) return { value: base * binaryMultipliers[suffix], format: 'BinarySI' };
  if (suffix in decimalSuffixExponents) return { value: scaleDecimal(base, decimalSuffixExponents[suffix]), format: 'DecimalSI' };
  const exp = /^[eE]([-+]?\d+)$/.exec(suffix);
  if (exp) return { value: scaleDecimal(base, Number(exp[1])), format: 'DecimalExponent' };
  throw new QuantityError(quantityRegexMessage);
}

// base × 10^exp, dividing for negative exponents so that "100m" is exactly 0.1 rather than 0.1000…01.
function scaleDecimal(base: number, exp: number): number {
  return exp >= 0 ? base * 10 ** exp : base / 10 ** -exp;
}

/** Whether a string or number parses as a quantity. */
export function isQuantity(input: unknown): boolean {
  if (typeof input !== 'string' && typeof input !== 'number') return false;
  try {
    parseQuantity(input);
    return true;
  } catch {
    return false;
  }
}

/** Compares two quantities: negative, zero or positive. Accepts strings or parsed quantities. */
export function compareQuantities(a: string | number | Quantity, b: string | number | Quantity): number {
  const va = typeof a === 'object' ? a.value : parseQuantity(a).value;
  const vb = typeof b === 'object' ? b.value : parseQuantity(b).value;
  // Treat values within a nano-unit as equal, so "1" and "1000m" compare equal despite floating point.
  const diff = va - vb;
  return Math.abs(diff) < 1e-9 * Math.max(1, Math.abs(va), Math.abs(vb)) ? 0 : diff;
}

const decimalSuffixByExponent: Record<number, string> = { [-9]: 'n', [-6]: 'u', [-3]: 'm', 0: '', 3: 'k', 6: 'M', 9: 'G', 12: 'T', 15: 'P', 18: 'E' };
const binarySuffixByPower: Array<[number, string]> = [
  [60, 'Ei'],
  [50, 'Pi'],
  [40, 'Ti'],
  [30, 'Gi'],
  [20, 'Mi'],
  [10, 'Ki'],
];

// The value as an exact integer number of nano-units (Kubernetes keeps at most nano precision, rounding up).
function nanos(value: number): bigint {
  return BigInt(Math.ceil(Number((value * 1e9).toPrecision(15))));
}

/**
 * A quantity in Kubernetes' canonical form (Quantity.String()): "2048Mi" → "2Gi", "1000m" → "1",
 * "1500m" → "1500m", "1e3" → "1e3", "0.5Gi" → "512Mi".
 */
export function formatQuantity(input: string | number | Quantity): string {
  const q = typeof input === 'object' ? input : parseQuantity(input);
  const negative = q.value < 0;
  const abs = Math.abs(q.value);
  const sign = negative ? '-' : '';
  const n = nanos(abs);
  if (n === 0n) return '0';
  if (q.format === 'BinarySI' && n % 1_000_000_000n === 0n) {
    const units = n / 1_000_000_000n;
    for (const [power, suffix] of binarySuffixByPower) {
      const unit = 1n << BigInt(power);
      if (units % unit === 0n) return `${sign}${units / unit}${suffix}`;
    }
    if (units < 1024n) return `${sign}${units}`;
  }
  // Decimal: the largest multiple-of-3 exponent that leaves an integer mantissa.
  let mantissa = n;
  let exponent = -9;
  while (exponent < 18 && mantissa % 1000n === 0n) {
    mantissa /= 1000n;
    exponent += 3;
  }
  if (q.format === 'DecimalExponent') return exponent === 0 ? `${sign}${mantissa}` : `${sign}${mantissa}e${exponent}`;
  return `${sign}${mantissa}${decimalSuffixByExponent[exponent]}`;
}
