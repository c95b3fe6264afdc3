// An IntOrString that counts pods: an int, or a percent of a total ("25%"), as Kubernetes'
// intstr.GetScaledValueFromIntOrPercent reads it and apps/validation checks it.
import type { IntOrString } from './types/core.js';
import type { StatusCause } from './types/meta.js';
import { invalid, type FieldPath } from './validation/field.js';

const PERCENT = /^[0-9]+%$/;

/** The value for a total: an int as it is, a percent of `total` rounded up or down. */
export function scaledValue(v: IntOrString, total: number, roundUp: boolean): number {
  if (typeof v === 'number') return v;
  if (!PERCENT.test(v)) throw new Error(`invalid value for IntOrString: invalid value "${v}": must be an int or a percent`);
  const scaled = (Number(v.slice(0, -1)) * total) / 100;
  return roundUp ? Math.ceil(scaled) : Math.floor(scaled);
}

/** ValidatePositiveIntOrPercent and IsNotMoreThan100Percent. */
export function validateIntOrPercent(v: IntOrString | undefined, path: FieldPath): StatusCause[] {
  if (v === undefined) return [];
  if (typeof v === 'number') return v < 0 ? [invalid(path, v, 'must be greater than or equal to 0')] : [];
  if (!PERCENT.test(v)) {
    return [invalid(path, v, "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')")];
  }
  return Number(v.slice(0, -1)) > 100 ? [invalid(path, v, 'must not be greater than 100%')] : [];
}
