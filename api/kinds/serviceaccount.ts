// core/v1 ServiceAccount: an identity for the processes in pods. Enough for pods so far:
// every namespace has a `default` one (controllers/service-account/), a pod names one
// (defaulted to `default`) and gets its imagePullSecrets at admission
// (apiserver/service-account-admission.ts). Tokens come later; nothing here stands in for one.
import { dns1123SubdomainErrors } from '../names.js';
import type { JsonSchema } from '../schemas/json-schema.js';
import { bool, keyedArr } from '../schemas/json-schema.js';
import { envelope } from '../schemas/meta.js';
import { localObjectReferenceSchema, objectReferenceSchema } from '../schemas/pod.js';
import type { ServiceAccount } from '../types/core.js';
import type { StatusCause } from '../types/meta.js';
import { FieldPath, invalid } from '../validation/field.js';
import { ageColumn, defineKind, nameColumn, resourceRow } from './kind.js';

/** The ServiceAccount every namespace has, and the one a pod that names none runs as. */
export const DEFAULT_SERVICE_ACCOUNT = 'default';

const serviceAccountSchema: JsonSchema = envelope(
  { group: '', version: 'v1', kind: 'ServiceAccount' },
  'ServiceAccount binds together: a name, understood by users, and perhaps by peripheral systems, for an identity; a principal that can be authenticated and authorized; a set of secrets.',
  {
    secrets: keyedArr(
      objectReferenceSchema,
      'name',
      'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.',
    ),
    imagePullSecrets: keyedArr(
      localObjectReferenceSchema,
      'name',
      'ImagePullSecrets is a list of references to secrets in the same namespace to use for pulling any images in pods that reference this ServiceAccount. Copied into a pod that names none of its own when it is created.',
    ),
    automountServiceAccountToken: bool('AutomountServiceAccountToken indicates whether pods running as this service account should have an API token automatically mounted.'),
  },
);

/**
 * ValidateServiceAccount is ObjectMeta's rules with a DNS subdomain name; skiff also checks
 * that a referenced Secret's name, when given, could name a Secret at all (a reference that
 * never can resolve is a mistake better told at once than at a pod's pull).
 */
function validateServiceAccount(sa: ServiceAccount): StatusCause[] {
  const causes: StatusCause[] = [];
  const refs = (list: { name?: string }[] | undefined, path: FieldPath) =>
    (list ?? []).forEach((r, i) => {
      if (r.name) for (const msg of dns1123SubdomainErrors(r.name)) causes.push(invalid(path.index(i).child('name'), r.name, msg));
    });
  refs(sa.secrets, FieldPath.root('secrets'));
  refs(sa.imagePullSecrets, FieldPath.root('imagePullSecrets'));
  return causes;
}

export const serviceAccountKind = defineKind<ServiceAccount>({
  resource: resourceRow({ group: '', version: 'v1', kind: 'ServiceAccount', plural: 'serviceaccounts', namespaced: true, shortNames: ['sa'] }),
  schema: serviceAccountSchema,
  nameRule: 'subdomain',
  validate: validateServiceAccount,
  columns: [
    nameColumn,
    {
      name: 'Secrets',
      type: 'string',
      priority: 0,
      description: 'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.',
      cell: (sa) => (sa.secrets ?? []).length,
    },
    ageColumn,
  ],
});
