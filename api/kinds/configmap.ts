// core/v1 ConfigMap: configuration data as keys and values (strings in data, bytes in
// binaryData), optionally immutable.
import { configMapKeyErrors } from '../names.js';
import type { JsonSchema } from '../schemas/json-schema.js';
import { MAX_SECRET_BYTES, base64DecodedLength, base64ErrorOffset } from '../secrets.js';
import { bool, strMap } from '../schemas/json-schema.js';
import { envelope } from '../schemas/meta.js';
import type { ConfigMap } from '../types/core.js';
import type { StatusCause } from '../types/meta.js';
import { FieldPath, invalid, tooLong } from '../validation/field.js';
import { immutableDataCauses } from '../validation/immutable-data.js';
import { ageColumn, defineKind, nameColumn, resourceRow } from './kind.js';

/** Kubernetes' MaxSecretSize, which holds for a ConfigMap's data and binaryData together. */
export const MAX_CONFIG_MAP_BYTES = MAX_SECRET_BYTES;

const configMapSchema: JsonSchema = envelope(
  { group: '', version: 'v1', kind: 'ConfigMap' },
  'ConfigMap holds configuration data for pods to consume.',
  {
    data: strMap('Configuration data. Each key must consist of alphanumeric characters, \'-\', \'_\' or \'.\'. Values with non-UTF-8 byte sequences must use the BinaryData field.'),
    binaryData: {
      type: 'object',
      additionalProperties: { type: 'string', format: 'byte' },
      description: 'Binary data, base64-encoded. Its keys may not overlap with the keys in the Data field.',
    },
    immutable: bool('If set to true, data and binaryData cannot be updated (only object metadata can be modified).'),
  },
);

/** ValidateConfigMap: keys, a key in both maps, and the total size. */
function validateConfigMap(cm: ConfigMap): StatusCause[] {
  const causes: StatusCause[] = [];
  const data = FieldPath.root('data');
  const binaryData = FieldPath.root('binaryData');
  let size = 0;
  for (const [key, value] of Object.entries(cm.data ?? {})) {
    for (const msg of configMapKeyErrors(key)) causes.push(invalid(data.bracketKey(key), key, msg));
    if (Object.hasOwn(cm.binaryData ?? {}, key)) causes.push(invalid(data.bracketKey(key), key, 'duplicate of key present in binaryData'));
    size += Buffer.byteLength(value);
  }
  for (const [key, value] of Object.entries(cm.binaryData ?? {})) {
    for (const msg of configMapKeyErrors(key)) causes.push(invalid(binaryData.bracketKey(key), key, msg));
    // The schema refused bad base64 as the body was decoded; a caller that skipped it learns here.
    const at = base64ErrorOffset(value);
    if (at === undefined) size += base64DecodedLength(value);
    else causes.push(invalid(binaryData.bracketKey(key), key, `illegal base64 data at input byte ${at}`));
  }
  // The field is "": the error is about the whole object.
  if (size > MAX_CONFIG_MAP_BYTES) causes.push(tooLong(FieldPath.root(), MAX_CONFIG_MAP_BYTES));
  return causes;
}

/** ValidateConfigMapUpdate: an immutable ConfigMap keeps its data, binaryData and immutability. */
function validateConfigMapUpdate(cm: ConfigMap, old: ConfigMap): StatusCause[] {
  return immutableDataCauses(cm, old, ['data', 'binaryData']);
}

export const configMapKind = defineKind<ConfigMap>({
  resource: resourceRow({ group: '', version: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true, shortNames: ['cm'] }),
  schema: configMapSchema,
  nameRule: 'subdomain',
  validate: validateConfigMap,
  validateUpdate: validateConfigMapUpdate,
  columns: [
    nameColumn,
    {
      name: 'Data',
      type: 'string',
      priority: 0,
      description: 'Data contains the configuration data.',
      cell: (cm) => Object.keys(cm.data ?? {}).length + Object.keys(cm.binaryData ?? {}).length,
    },
    ageColumn,
  ],
});

