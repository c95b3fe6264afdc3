// metav1 validation of Conditions (apimachinery's pkg/apis/meta/v1/validation
// ValidateConditions), for the kinds whose status carries metav1.Condition (policy/v1's
// PodDisruptionBudget).
import { qualifiedNameErrors } from '../names.js';
import type { StatusCause } from '../types/meta.js';
import type { Condition } from '../types/policy.js';
import { invalid, notSupported, required, type FieldPath } from './field.js';

const CONDITION_STATUSES = ['True', 'False', 'Unknown'];
const REASON = /^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/;
const MAX_MESSAGE = 32 * 1024;

/** ValidateConditions: a known status, a reason in CamelCase, a transition time, unique types. */
export function validateConditions(conditions: Condition[] | undefined, path: FieldPath): StatusCause[] {
  const causes: StatusCause[] = [];
  const seen = new Set<string>();
  (conditions ?? []).forEach((c, i) => {
    const p = path.index(i);
    if (!c.type) causes.push(required(p.child('type'), ''));
    else {
      for (const msg of qualifiedNameErrors(c.type)) causes.push(invalid(p.child('type'), c.type, msg));
      if (seen.has(c.type)) causes.push(invalid(p.child('type'), c.type, 'must be unique'));
      seen.add(c.type);
    }
    if (!CONDITION_STATUSES.includes(c.status)) causes.push(notSupported(p.child('status'), c.status, CONDITION_STATUSES));
    if ((c.observedGeneration ?? 0) < 0) causes.push(invalid(p.child('observedGeneration'), c.observedGeneration, 'must be greater than or equal to zero'));
    if (!c.lastTransitionTime) causes.push(required(p.child('lastTransitionTime'), 'must be set'));
    if (!c.reason) causes.push(required(p.child('reason'), 'must be set'));
    else if (c.reason.length > 1024) causes.push(invalid(p.child('reason'), c.reason, 'may not be more than 1024 characters'));
    else if (!REASON.test(c.reason)) {
      causes.push(invalid(p.child('reason'), c.reason, `a condition reason must start with alphabetic character, optionally followed by a string of alphanumeric characters or '_,:', and must end with an alphanumeric character or '_' (e.g. 'my_name',  or 'MY_NAME',  or 'MyName',  or 'ReasonA,ReasonB',  or 'ReasonA:ReasonB', regex used for validation is '[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?')`));
    }
    if ((c.message ?? '').length > MAX_MESSAGE) causes.push(invalid(p.child('message'), '', `may not be more than ${MAX_MESSAGE} bytes`));
  });
  return causes;
}
