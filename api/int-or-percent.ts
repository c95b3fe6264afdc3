// intstr.IntOrString as the workload kinds use it (maxSurge, maxUnavailable, a PDB's
// minAvailable): a count, or a percentage of a total that the controller scales
// (GetScaledValueFromIntOrPercent), rounding up or down as each field's documentation says.
import type { IntOrString } from './types/apps.js';

/**
 * The count `v` stands for out of `total`: an int as is, "25%" of total rounded up or down.
 * Throws on a string that is not a percentage (validation refuses those before they are stored).
 */
export function scaledValue(v: IntOrString | undefined, total: number, roundUp: boolean): number {
  if (v === undefined) return 0;
  if (typeof v === 'number') return v;
  const m = /^(\d+)%$/.exec(v);
  if (!m) throw new Error(`invalid value for IntOrString: invalid value "${v}": must be an int or a percentage ("25%")`);
  const scaled = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(scaled) : Math.floor(scaled);
}

/** getIntOrPercentValue: the number in "25%" or 25; a string that is neither a percentage nor an integer counts 0. */
export function intOrPercentValue(v: IntOrString | undefined): number {
  if (v === undefined) return 0;
  if (typeof v === 'number') return v;
  const m = /^(\d+)%$/.exec(v) ?? /^([+-]?\d+)$/.exec(v);
  return m ? Number(m[1]) : 0;
}
