// meta/v1 pieces every kind's schema embeds: ObjectMeta and the object envelope.
import type { GroupVersionKind, JsonSchema } from './json-schema.js';
import { arr, bool, int, keyedArr, obj, setArr, str, strMap, time } from './json-schema.js';

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';

export const ownerReferenceSchema = obj(
  `${META}.OwnerReference`,
  {
    apiVersion: str('API version of the referent.'),
    kind: str('Kind of the referent.'),
    name: str('Name of the referent.'),
    uid: str('UID of the referent.'),
    controller: bool('If true, this reference points to the managing controller.'),
    blockOwnerDeletion: bool('If true, the owner cannot be deleted from the key-value store until this reference is removed.'),
  },
  { required: ['apiVersion', 'kind', 'name', 'uid'] },
);

export const managedFieldsEntrySchema = obj(`${META}.ManagedFieldsEntry`, {
  manager: str(),
  operation: str(),
  apiVersion: str(),
  time: time(),
  fieldsType: str(),
  // Free-form (an object with no properties): its keys ("f:spec", ...) are data, not schema.
  fieldsV1: { type: 'object', description: 'The field set, in the FieldsV1 format.' },
  subresource: str(),
});

export const objectMetaSchema = obj(
  `${META}.ObjectMeta`,
  {
    name: str('Name must be unique within a namespace. Cannot be updated.'),
    generateName: str('Optional prefix, used by the server to generate a unique name if name is not provided.'),
    namespace: str('The namespace the object is in. Cannot be updated.'),
    uid: str('Set by the server when the object is created. Cannot be updated.'),
    resourceVersion: str('Opaque version of this object, for optimistic concurrency and watch.'),
    generation: int('A sequence number representing a specific generation of the desired state.'),
    creationTimestamp: time('When this object was created. Set by the server.'),
    deletionTimestamp: time('When this object will be deleted. Set by the server on graceful deletion.'),
    deletionGracePeriodSeconds: int('Seconds allowed for graceful termination before the object is removed.'),
    labels: strMap('Map of string keys and values to organize and select objects.'),
    annotations: strMap('Unstructured key value map stored with the object.'),
    ownerReferences: keyedArr(ownerReferenceSchema, 'uid', 'Objects this object depends on.'),
    finalizers: setArr(str(), 'Must be empty before the object is deleted from the registry.'),
    managedFields: arr(managedFieldsEntrySchema),
  },
  { description: 'Standard object metadata.' },
);

/** apiVersion/kind/metadata plus the kind's own top-level fields. */
export function envelope(gvk: GroupVersionKind, description: string, properties: Record<string, JsonSchema>, required: string[] = []): JsonSchema {
  const apiVersion = gvk.group ? `${gvk.group}/${gvk.version}` : gvk.version;
  return {
    ...obj(
      `${gvk.group ? `io.k8s.api.${gvk.group.split('.')[0]}` : 'io.k8s.api.core'}.${gvk.version}.${gvk.kind}`,
      {
        // Not enums: a body of the wrong kind or version is the API server's 400, not a field error.
        apiVersion: str(`Versioned schema of this representation of an object: ${apiVersion}.`),
        kind: str(`The REST resource this object represents: ${gvk.kind}.`),
        metadata: objectMetaSchema,
        ...properties,
      },
      // metadata is not required here: validation reports a missing name with Kubernetes' message.
      { required, description },
    ),
    'x-kubernetes-group-version-kind': [gvk],
  };
}
