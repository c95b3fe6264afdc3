// Schema pieces every workload kind shares: the LabelSelector that picks its pods, the
// PodTemplateSpec it stamps them from (the pod's own PodSpec schema, so patch keys and
// explain are the pod's), the conditions controllers report, and the autoscaling/v1 Scale
// the /scale subresource speaks.
import type { JsonSchema } from './json-schema.js';
import { arr, enumOf, int32, obj, str, strMap, time } from './json-schema.js';
import { envelope, objectMetaSchema } from './meta.js';
import { CONDITION_STATUSES, podSpecSchema } from './pod.js';

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';

export const LABEL_SELECTOR_OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

export const labelSelectorSchema = obj(
  `${META}.LabelSelector`,
  {
    matchLabels: strMap('matchLabels is a map of {key,value} pairs. A single {key,value} in the matchLabels map is equivalent to an element of matchExpressions, whose key field is "key", the operator is "In", and the values array contains only "value". The requirements are ANDed.'),
    matchExpressions: arr(
      obj(
        `${META}.LabelSelectorRequirement`,
        {
          key: str('key is the label key that the selector applies to.'),
          operator: str("operator represents a key's relationship to a set of values. Valid operators are In, NotIn, Exists and DoesNotExist."),
          values: arr(str(), 'values is an array of string values. If the operator is In or NotIn, the values array must be non-empty. If the operator is Exists or DoesNotExist, the values array must be empty.'),
        },
        { required: ['key', 'operator'], description: 'A label selector requirement is a selector that contains values, a key, and an operator that relates the key and values.' },
      ),
      'matchExpressions is a list of label selector requirements. The requirements are ANDed.',
    ),
  },
  { description: 'A label selector is a label query over a set of resources. The result of matchLabels and matchExpressions are ANDed. An empty label selector matches all objects. A null label selector matches no objects.' },
);

export const podTemplateSpecSchema = obj(
  'io.k8s.api.core.v1.PodTemplateSpec',
  {
    metadata: { ...objectMetaSchema, description: "Standard object's metadata." },
    spec: { ...podSpecSchema, description: 'Specification of the desired behavior of the pod.' },
  },
  { description: 'PodTemplateSpec describes the data a pod should have when created from a template' },
);

/** A condition of a workload (DeploymentCondition, ReplicaSetCondition, JobCondition, ...), by definition name. */
export function conditionSchema(definition: string, extra: Record<string, JsonSchema> = {}): JsonSchema {
  return obj(
    definition,
    {
      type: str('Type of the condition.'),
      status: enumOf(CONDITION_STATUSES, 'Status of the condition, one of True, False, Unknown.'),
      lastTransitionTime: time('Last time the condition transitioned from one status to another.'),
      reason: str("The reason for the condition's last transition."),
      message: str('A human readable message indicating details about the transition.'),
      ...extra,
    },
    { required: ['type', 'status'] },
  );
}

export const scaleSchema: JsonSchema = envelope(
  { group: 'autoscaling', version: 'v1', kind: 'Scale' },
  'Scale represents a scaling request for a resource.',
  {
    spec: obj('io.k8s.api.autoscaling.v1.ScaleSpec', { replicas: int32('replicas is the desired number of instances for the scaled object.') }, {
      description: 'spec defines the behavior of the scale.',
    }),
    status: obj(
      'io.k8s.api.autoscaling.v1.ScaleStatus',
      {
        replicas: int32('replicas is the actual number of observed instances of the scaled object.'),
        selector: str('selector is the label query over pods that should match the replicas count, in the label-selector string form.'),
      },
      { required: ['replicas'], description: 'status is the current status of the scale. Read-only.' },
    ),
  },
);
