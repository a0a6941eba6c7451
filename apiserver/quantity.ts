// Kubernetes resource quantities ("100m", "1", "64Mi", "1Gi", "1e3"), as apimachinery's resource.Quantity
// parses them. Values are kept as JS numbers: exact for every integer up to 2^53 and for the fractions
// that matter here (millis), which is enough to validate and compare requests and limits.

export class QuantityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QuantityError';
  }
}

export type QuantityFormat = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

export interface Quantity {
  /** The value in base units (cores, bytes). */
  value: number;
  format: QuantityFormat;
}

/** The message Kubernetes gives for a string that is not a quantity. */
export const quantityRegexMessage =
  "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

const shapeRe = /^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$/;
const numberRe = /^[+-]?(\d+\.?\d*|\.\d+)$/;

const binarySuffixes: Record<string, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};
const decimalSuffixes: Record<string, number> = {
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
  if (suffix in binarySuffixes) return { value: base * binarySuffixes[suffix], format: 'BinarySI' };
  if (suffix in decimalSuffixes) return { value: scaleDecimal(base, decimalSuffixes[suffix]), format: 'DecimalSI' };
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

/** The value in thousandths, rounded up like Kubernetes' MilliValue (CPU in millicores). */
export function milliValue(input: string | number): number {
  return Math.ceil(parseQuantity(input).value * 1000 - 1e-6);
}

/** The value in whole units, rounded up like Kubernetes' Value (memory in bytes). */
export function integerValue(input: string | number): number {
  return Math.ceil(parseQuantity(input).value - 1e-9);
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
