// The rule ConfigMaps and Secrets share (ValidateConfigMapUpdate, ValidateSecretUpdate): once
// `immutable` is set it stays set, and the data maps keep their contents (an empty map is no
// map, as a round trip through storage makes it).
import { isDeepStrictEqual } from 'node:util';
import type { StatusCause } from '../types/meta.js';
import { FieldPath, forbidden } from './field.js';

const IMMUTABLE = 'field is immutable when `immutable` is set';

const mapOf = (m: unknown) => (m && typeof m === 'object' && Object.keys(m).length ? m : undefined);

/** What an update of an immutable `old` may not do: unset `immutable`, or change one of `maps`. */
export function immutableDataCauses<T extends { immutable?: boolean }>(obj: T, old: T, maps: readonly (keyof T & string)[]): StatusCause[] {
  if (old.immutable !== true) return [];
  const causes: StatusCause[] = [];
  if (obj.immutable !== true) causes.push(forbidden(FieldPath.root('immutable'), IMMUTABLE));
  for (const m of maps) if (!isDeepStrictEqual(mapOf(obj[m]), mapOf(old[m]))) causes.push(forbidden(FieldPath.root(m), IMMUTABLE));
  return causes;
}
