// Kubernetes resource.Quantity: the grammar, the rounding and the canonical form of
// apimachinery's pkg/api/resource, so that "0.1" CPU is exactly 100m and "1.5Gi" prints as
// "1536Mi" just as kubectl shows it. Values are kept as a bigint count of nano-units: every
// quantity Kubernetes accepts is rounded up to 1n precision, so nothing finer is ever needed.

export type QuantityFormat = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

/** The messages apimachinery returns (ErrFormatWrong, ErrSuffix), so clients see familiar text. */
export const QUANTITY_FORMAT_ERROR = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
export const QUANTITY_SUFFIX_ERROR = "unable to parse quantity's suffix";

export class QuantityParseError extends Error {
  constructor(message: string, readonly input: string) {
    super(message);
    this.name = 'QuantityParseError';
  }
}

const NANO = 1_000_000_000n;
const MILLI_PER_NANO = 1_000_000n;
// Every amount must fit an int64 of whole units (bytes, cores): apimachinery caps binary
// quantities there (maxAllowed) and leaves decimal ones unbounded, which only moves the
// overflow into every consumer's arithmetic. skiff refuses both, so "1e400" or
// "99999999999999999999999999Ei" is a 422 at the API rather than a wrong cgroup value later.
const MAX_NANOS = (2n ** 63n - 1n) * NANO;
export const QUANTITY_RANGE_ERROR = 'quantity is too large: the amount must fit in a 64-bit integer (at most 9223372036854775807 units)';
// Exponents this large are never a real resource amount; refusing them keeps a hostile
// "1e999999999" from building a gigantic bigint.
const MAX_EXPONENT = 1000;

const DECIMAL_SUFFIXES: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_SUFFIXES: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const DECIMAL_BY_EXPONENT = new Map(Object.entries(DECIMAL_SUFFIXES).map(([s, e]) => [e, s]));
const BINARY_NAMES = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];
const SUFFIX_CHARS = 'eEinumkKMGTP';

interface Scanned {
  negative: boolean;
  whole: string;
  fraction: string;
  suffix: string;
}

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';

/** Splits "−1.5Gi" into sign, whole digits, fraction digits and suffix, as parseQuantityString does. */
function scan(str: string): Scanned {
  let pos = 0;
  let negative = false;
  if (str[0] === '-' || str[0] === '+') {
    negative = str[0] === '-';
    pos++;
  }
  const wholeStart = pos;
  while (isDigit(str[pos])) pos++;
  const whole = str.slice(wholeStart, pos);
  let fraction = '';
  if (str[pos] === '.') {
    const start = ++pos;
    while (isDigit(str[pos])) pos++;
    fraction = str.slice(start, pos);
  }
  // apimachinery turns "Mi" or "+" into zero; a quantity with no digit at all is almost
  // certainly a mistake, and its own error regex demands a number, so skiff refuses it.
  if (whole === '' && fraction === '') throw new QuantityParseError(QUANTITY_FORMAT_ERROR, str);
  const suffixStart = pos;
  while (pos < str.length && SUFFIX_CHARS.includes(str[pos])) pos++;
  if (str[pos] === '-' || str[pos] === '+') pos++;
  while (isDigit(str[pos])) pos++;
  if (pos !== str.length) throw new QuantityParseError(QUANTITY_FORMAT_ERROR, str);
  return { negative, whole, fraction, suffix: str.slice(suffixStart) };
}

interface Suffix {
  base: 2 | 10;
  exponent: number;
  format: QuantityFormat;
}

function interpretSuffix(suffix: string, input: string): Suffix {
  if (suffix in DECIMAL_SUFFIXES) return { base: 10, exponent: DECIMAL_SUFFIXES[suffix], format: 'DecimalSI' };
  if (suffix in BINARY_SUFFIXES) return { base: 2, exponent: BINARY_SUFFIXES[suffix], format: 'BinarySI' };
  if (suffix.length > 1 && (suffix[0] === 'e' || suffix[0] === 'E') && /^[+-]?[0-9]+$/.test(suffix.slice(1))) {
    const exponent = Number(suffix.slice(1));
    if (Math.abs(exponent) > MAX_EXPONENT) throw new QuantityParseError(`quantity exponent out of range: ${suffix}`, input);
    return { base: 10, exponent, format: 'DecimalExponent' };
  }
  throw new QuantityParseError(QUANTITY_SUFFIX_ERROR, input);
}

/** a / b rounded away from zero (apimachinery's inf.RoundUp), for b > 0. */
function divRoundUp(a: bigint, b: bigint): bigint {
  const q = a / b;
  if (q * b === a) return q;
  return a < 0n ? q - 1n : q + 1n;
}

const abs = (n: bigint): bigint => (n < 0n ? -n : n);

const PARSED = new Map<string, Quantity>();
const MAX_PARSED = 4096;
/** Longer strings are parsed each time (a hostile client cannot make the memo hold large strings). */
const MAX_REMEMBERED_LENGTH = 32;

export class Quantity {
  readonly #nanos: bigint;
  readonly #format: QuantityFormat;

  private constructor(nanos: bigint, format: QuantityFormat) {
    this.#nanos = nanos;
    this.#format = format;
  }

  /** Parses a quantity as the API server does; throws QuantityParseError with Kubernetes' message. */
  static parse(q: string | number): Quantity {
    // Objects repeat the same few quantities ("100m", "128Mi") and each is read several times
    // (validation, defaulting, QoS class): a Quantity is immutable, so one parse serves all.
    if (typeof q === 'string' && q.length <= MAX_REMEMBERED_LENGTH) {
      let parsed = PARSED.get(q);
      if (parsed === undefined) {
        parsed = Quantity.#parse(q);
        if (PARSED.size >= MAX_PARSED) PARSED.clear();
        PARSED.set(q, parsed);
      }
      return parsed;
    }
    return Quantity.#parse(q);
  }

  static #parse(q: string | number): Quantity {
    if (typeof q === 'number') {
      if (!Number.isFinite(q)) throw new QuantityParseError(QUANTITY_FORMAT_ERROR, String(q));
      q = String(q);
    }
    if (typeof q !== 'string' || q.length === 0) throw new QuantityParseError(QUANTITY_FORMAT_ERROR, String(q));
    const { negative, whole, fraction, suffix } = scan(q);
    const { base, exponent, format } = interpretSuffix(suffix, q);
    const digits = BigInt((whole || '0') + fraction);
    const fractionScale = 10n ** BigInt(fraction.length);
    let nanos: bigint;
    if (base === 10) {
      const shift = exponent + 9 - fraction.length;
      nanos = shift >= 0 ? digits * 10n ** BigInt(shift) : divRoundUp(digits, 10n ** BigInt(-shift));
    } else {
      nanos = divRoundUp(digits * 2n ** BigInt(exponent) * NANO, fractionScale);
    }
    if (nanos > MAX_NANOS) throw new QuantityParseError(QUANTITY_RANGE_ERROR, q);
    return new Quantity(negative ? -nanos : nanos, format);
  }

  /** A quantity of `milli` thousandths (cpu millicores), printed in DecimalSI: 500 -> "500m". */
  static fromMilli(milli: number | bigint): Quantity {
    if (typeof milli === 'number' && !Number.isInteger(milli)) return new Quantity(Quantity.parse(`${milli}m`).#nanos, 'DecimalSI');
    return new Quantity(BigInt(milli) * MILLI_PER_NANO, 'DecimalSI');
  }

  /** A whole-unit quantity (bytes, counts); BinarySI prints 134217728 as "128Mi". */
  static fromValue(value: number | bigint, format: QuantityFormat = 'DecimalSI'): Quantity {
    if (typeof value === 'number' && !Number.isInteger(value)) return new Quantity(Quantity.parse(value).#nanos, format);
    return new Quantity(BigInt(value) * NANO, format);
  }

  get format(): QuantityFormat {
    return this.#format;
  }

  /** The exact amount in nano-units (1e-9), for arithmetic without loss. */
  nanoValue(): bigint {
    return this.#nanos;
  }

  /** Thousandths, rounded away from zero like MilliValue: "1n" -> 1, "0.1" -> 100. */
  milliValue(): number {
    return Number(divRoundUp(this.#nanos, MILLI_PER_NANO));
  }

  /** Whole units, rounded away from zero like Value: "500m" -> 1. */
  value(): number {
    return Number(divRoundUp(this.#nanos, NANO));
  }

  cmp(other: Quantity | string | number): -1 | 0 | 1 {
    const o = other instanceof Quantity ? other : Quantity.parse(other);
    return this.#nanos < o.#nanos ? -1 : this.#nanos > o.#nanos ? 1 : 0;
  }

  equal(other: Quantity | string | number): boolean {
    return this.cmp(other) === 0;
  }

  sign(): -1 | 0 | 1 {
    return this.#nanos < 0n ? -1 : this.#nanos > 0n ? 1 : 0;
  }

  isZero(): boolean {
    return this.#nanos === 0n;
  }

  /** Sum keeping this quantity's format, as Quantity.Add does. */
  add(other: Quantity): Quantity {
    return new Quantity(this.#nanos + other.#nanos, this.#format);
  }

  sub(other: Quantity): Quantity {
    return new Quantity(this.#nanos - other.#nanos, this.#format);
  }

  neg(): Quantity {
    return new Quantity(-this.#nanos, this.#format);
  }

  /** The canonical form Kubernetes stores and prints: "0.5" -> "500m", "1.5Gi" -> "1536Mi", "1e3" -> "1e3". */
  toString(): string {
    const n = this.#nanos;
    if (n === 0n) return '0';
    let format = this.#format;
    // Small or fractional binary amounts would need rounding in Ki units; Kubernetes shows them in DecimalSI.
    if (format === 'BinarySI' && (abs(n) < 1024n * NANO || n % NANO !== 0n)) format = 'DecimalSI';
    const sign = n < 0n ? '-' : '';
    if (format === 'BinarySI') {
      let units = abs(n) / NANO;
      let power = 0;
      while (power < BINARY_NAMES.length - 1 && units % 1024n === 0n) {
        units /= 1024n;
        power++;
      }
      return `${sign}${units}${BINARY_NAMES[power]}`;
    }
    let mantissa = abs(n);
    let exponent = -9;
    const maxExponent = format === 'DecimalSI' ? 18 : Infinity;
    while (exponent < maxExponent && mantissa % 1000n === 0n) {
      mantissa /= 1000n;
      exponent += 3;
    }
    const suffix = format === 'DecimalSI' ? (DECIMAL_BY_EXPONENT.get(exponent) ?? '') : exponent === 0 ? '' : `e${exponent}`;
    return `${sign}${mantissa}${suffix}`;
  }

  toJSON(): string {
    return this.toString();
  }
}

/** Same as Quantity.parse. */
export function parseQuantity(q: string | number): Quantity {
  return Quantity.parse(q);
}

export function isQuantity(q: unknown): boolean {
  if (typeof q !== 'string' && typeof q !== 'number') return false;
  try {
    Quantity.parse(q);
    return true;
  } catch {
    return false;
  }
}

/** The parse error message for q, or undefined when q is a valid quantity. */
export function quantityError(q: unknown): string | undefined {
  if (typeof q !== 'string' && typeof q !== 'number') return QUANTITY_FORMAT_ERROR;
  try {
    Quantity.parse(q);
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

/** Bytes as kubectl prints memory: 134217728 -> "128Mi"; below 1Ki it is DecimalSI as in Kubernetes (1000 -> "1k"). */
export function formatBytes(bytes: number | bigint): string {
  return Quantity.fromValue(bytes, 'BinarySI').toString();
}

/** Millicores as kubectl prints cpu: 500 -> "500m", 2000 -> "2". */
export function formatMilliCPU(milli: number | bigint): string {
  return Quantity.fromMilli(milli).toString();
}
