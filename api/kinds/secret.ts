// core/v1 Secret: small pieces of sensitive data (passwords, tokens, keys, registry
// credentials) for pods, kept apart from images. `stringData` is folded into `data` on every
// write and never stored (api/secrets.ts); the API server encrypts the stored object when its
// EncryptionConfiguration names secrets (apiserver/storage/encryption/, on under `skiff up`).
import { normalizeSecret } from '../secrets.js';
import type { JsonSchema } from '../schemas/json-schema.js';
import { bool, str, strMap } from '../schemas/json-schema.js';
import { envelope } from '../schemas/meta.js';
import type { Secret } from '../types/core.js';
import { validateSecret, validateSecretUpdate } from '../validation/secret.js';
import { ageColumn, defineKind, nameColumn, resourceRow } from './kind.js';

const secretSchema: JsonSchema = envelope(
  { group: '', version: 'v1', kind: 'Secret' },
  'Secret holds secret data of a certain type. The total bytes of the values in the Data field must be less than MaxSecretSize bytes.',
  {
    data: {
      type: 'object',
      additionalProperties: { type: 'string', format: 'byte' },
      description: "Data contains the secret data. Each key must consist of alphanumeric characters, '-', '_' or '.'. The serialized form of the secret data is a base64 encoded string.",
    },
    stringData: strMap('stringData allows specifying non-binary secret data in string form. It is provided as a write-only input field for convenience. All keys and values are merged into the data field on write, overwriting any existing values. The stringData field is never output when reading from the API.'),
    type: str('Used to facilitate programmatic handling of secret data. More info: https://kubernetes.io/docs/concepts/configuration/secret/#secret-types'),
    immutable: bool('Immutable, if set to true, ensures that data stored in the Secret cannot be updated (only object metadata can be modified).'),
  },
);

export const secretKind = defineKind<Secret>({
  resource: resourceRow({ group: '', version: 'v1', kind: 'Secret', plural: 'secrets', namespaced: true }),
  schema: secretSchema,
  nameRule: 'subdomain',
  // As Kubernetes' conversion from v1: on every create, update and patch result.
  defaults: (s) => {
    const n = normalizeSecret(s);
    delete s.stringData;
    s.type = n.type;
    if (n.data) s.data = n.data;
  },
  validate: validateSecret,
  validateUpdate: validateSecretUpdate,
  selectableFields: (s) => ({ type: s.type ?? 'Opaque' }),
  columns: [
    nameColumn,
    { name: 'Type', type: 'string', priority: 0, description: 'Used to facilitate programmatic handling of secret data.', cell: (s) => s.type ?? '' },
    { name: 'Data', type: 'string', priority: 0, description: 'Data contains the secret data.', cell: (s) => Object.keys(s.data ?? {}).length },
    ageColumn,
  ],
});
