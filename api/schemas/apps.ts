// apps/v1 schemas: ReplicaSet, Deployment, DaemonSet, ControllerRevision. Types, enums and
// descriptions (kubectl explain); ranges and cross-field rules are api/validation/apps.ts'.
import type { JsonSchema } from './json-schema.js';
import { bool, enumOf, int, int32, intOrString, keyedArr, obj } from './json-schema.js';
import { envelope } from './meta.js';
import { conditionSchema, labelSelectorSchema, podTemplateSpecSchema } from './workload.js';

const APPS = 'io.k8s.api.apps.v1';

const selector = (what: string): JsonSchema => ({
  ...labelSelectorSchema,
  description: `Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this ${what}. It must match the pod template's labels.`,
});
const template = (description: string): JsonSchema => ({ ...podTemplateSpecSchema, description });
const minReadySeconds = int32('Minimum number of seconds for which a newly created pod should be ready without any of its container crashing, for it to be considered available. Defaults to 0 (pod will be considered available as soon as it is ready)');
const revisionHistoryLimit = (what: string): JsonSchema => int32(`The number of old ${what} to retain to allow rollback. This is a pointer to distinguish between explicit zero and not specified. Defaults to 10.`);

export const replicaSetSchema: JsonSchema = envelope(
  { group: 'apps', version: 'v1', kind: 'ReplicaSet' },
  'ReplicaSet ensures that a specified number of pod replicas are running at any given time.',
  {
    spec: obj(
      `${APPS}.ReplicaSetSpec`,
      {
        replicas: int32('Replicas is the number of desired pods. This is a pointer to distinguish between explicit zero and unspecified. Defaults to 1.'),
        minReadySeconds,
        selector: { ...labelSelectorSchema, description: 'Selector is a label query over pods that should match the replica count. Label keys and values that must match in order to be controlled by this replica set. It must match the pod template\'s labels.' },
        template: template('Template is the object that describes the pod that will be created if insufficient replicas are detected.'),
      },
      { required: ['selector'], description: 'Spec defines the specification of the desired behavior of the ReplicaSet.' },
    ),
    status: obj(
      `${APPS}.ReplicaSetStatus`,
      {
        replicas: int32('Replicas is the most recently observed number of non-terminating pods.'),
        fullyLabeledReplicas: int32('The number of non-terminating pods that have labels matching the labels of the pod template of the replicaset.'),
        readyReplicas: int32('The number of non-terminating pods targeted by this ReplicaSet with a Ready Condition.'),
        availableReplicas: int32('The number of available non-terminating pods (ready for at least minReadySeconds) for this replica set.'),
        terminatingReplicas: int32('The number of terminating pods for this replica set.'),
        observedGeneration: int('ObservedGeneration reflects the generation of the most recently observed ReplicaSet.'),
        conditions: keyedArr(conditionSchema(`${APPS}.ReplicaSetCondition`), 'type', "Represents the latest available observations of a replica set's current state."),
      },
      { description: 'Status is the most recently observed status of the ReplicaSet.' },
    ),
  },
);

export const deploymentSchema: JsonSchema = envelope(
  { group: 'apps', version: 'v1', kind: 'Deployment' },
  'Deployment enables declarative updates for Pods and ReplicaSets.',
  {
    spec: obj(
      `${APPS}.DeploymentSpec`,
      {
        replicas: int32('Number of desired pods. This is a pointer to distinguish between explicit zero and not specified. Defaults to 1.'),
        selector: selector('deployment'),
        template: template('Template describes the pods that will be created. The only allowed template.spec.restartPolicy value is "Always".'),
        strategy: obj(
          `${APPS}.DeploymentStrategy`,
          {
            type: enumOf(['Recreate', 'RollingUpdate'], 'Type of deployment. Can be "Recreate" or "RollingUpdate". Default is RollingUpdate.'),
            rollingUpdate: obj(
              `${APPS}.RollingUpdateDeployment`,
              {
                maxUnavailable: intOrString('The maximum number of pods that can be unavailable during the update. Value can be an absolute number (ex: 5) or a percentage of desired pods (ex: 10%). Absolute number is calculated from percentage by rounding down. This can not be 0 if MaxSurge is 0. Defaults to 25%.'),
                maxSurge: intOrString('The maximum number of pods that can be scheduled above the desired number of pods. Value can be an absolute number (ex: 5) or a percentage of desired pods (ex: 10%). This can not be 0 if MaxUnavailable is 0. Absolute number is calculated from percentage by rounding up. Defaults to 25%.'),
              },
              { description: 'Rolling update config params. Present only if DeploymentStrategyType = RollingUpdate.' },
            ),
          },
          { description: 'The deployment strategy to use to replace existing pods with new ones.' },
        ),
        minReadySeconds,
        revisionHistoryLimit: revisionHistoryLimit('ReplicaSets'),
        paused: bool('Indicates that the deployment is paused.'),
        progressDeadlineSeconds: int32('The maximum time in seconds for a deployment to make progress before it is considered to be failed. The deployment controller will continue to process failed deployments and a condition with a ProgressDeadlineExceeded reason will be surfaced in the deployment status. Note that progress will not be estimated during the time a deployment is paused. Defaults to 600s.'),
      },
      { required: ['selector', 'template'], description: 'Specification of the desired behavior of the Deployment.' },
    ),
    status: obj(
      `${APPS}.DeploymentStatus`,
      {
        observedGeneration: int('The generation observed by the deployment controller.'),
        replicas: int32('Total number of non-terminating pods targeted by this deployment (their labels match the selector).'),
        updatedReplicas: int32('Total number of non-terminating pods targeted by this deployment that have the desired template spec.'),
        readyReplicas: int32('Total number of non-terminating pods targeted by this Deployment with a Ready Condition.'),
        availableReplicas: int32('Total number of available non-terminating pods (ready for at least minReadySeconds) targeted by this deployment.'),
        unavailableReplicas: int32('Total number of unavailable pods targeted by this deployment.'),
        terminatingReplicas: int32('Total number of terminating pods targeted by this deployment.'),
        conditions: keyedArr(
          conditionSchema(`${APPS}.DeploymentCondition`, { lastUpdateTime: { type: 'string', format: 'date-time', description: 'The last time this condition was updated.' } }),
          'type',
          "Represents the latest available observations of a deployment's current state.",
        ),
        collisionCount: int32('Count of hash collisions for the Deployment. The Deployment controller uses this field as a collision avoidance mechanism when it needs to create the name for the newest ReplicaSet.'),
      },
      { description: 'Most recently observed status of the Deployment.' },
    ),
  },
);

export const daemonSetSchema: JsonSchema = envelope(
  { group: 'apps', version: 'v1', kind: 'DaemonSet' },
  'DaemonSet represents the configuration of a daemon set.',
  {
    spec: obj(
      `${APPS}.DaemonSetSpec`,
      {
        selector: { ...labelSelectorSchema, description: "A label query over pods that are managed by the daemon set. Must match in order to be controlled. It must match the pod template's labels." },
        template: template('An object that describes the pod that will be created. The DaemonSet will create exactly one copy of this pod on every node that matches the template\'s node selector (or on every node if no node selector is specified). The only allowed template.spec.restartPolicy value is "Always".'),
        updateStrategy: obj(
          `${APPS}.DaemonSetUpdateStrategy`,
          {
            type: enumOf(['RollingUpdate', 'OnDelete'], 'Type of daemon set update. Can be "RollingUpdate" or "OnDelete". Default is RollingUpdate.'),
            rollingUpdate: obj(
              `${APPS}.RollingUpdateDaemonSet`,
              {
                maxUnavailable: intOrString('The maximum number of DaemonSet pods that can be unavailable during the update. Value can be an absolute number (ex: 5) or a percentage of total number of DaemonSet pods at the start of the update (ex: 10%). Absolute number is calculated from percentage by rounding up. This cannot be 0 if MaxSurge is 0 Default value is 1.'),
                maxSurge: intOrString('The maximum number of nodes with an existing available DaemonSet pod that can have an updated DaemonSet pod during during an update. Value can be an absolute number (ex: 5) or a percentage of desired pods (ex: 10%). This can not be 0 if MaxUnavailable is 0. Absolute number is calculated from percentage by rounding up to a minimum of 1. Default value is 0.'),
              },
              { description: 'Rolling update config params. Present only if type = "RollingUpdate".' },
            ),
          },
          { description: 'An update strategy to replace existing DaemonSet pods with new pods.' },
        ),
        minReadySeconds: int32('The minimum number of seconds for which a newly created DaemonSet pod should be ready without any of its container crashing, for it to be considered available. Defaults to 0 (pod will be considered available as soon as it is ready).'),
        revisionHistoryLimit: revisionHistoryLimit('history'),
      },
      { required: ['selector', 'template'], description: 'The desired behavior of this daemon set.' },
    ),
    status: obj(
      `${APPS}.DaemonSetStatus`,
      {
        currentNumberScheduled: int32('The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod.'),
        numberMisscheduled: int32('The number of nodes that are running the daemon pod, but are not supposed to run the daemon pod.'),
        desiredNumberScheduled: int32('The total number of nodes that should be running the daemon pod (including nodes correctly running the daemon pod).'),
        numberReady: int32('numberReady is the number of nodes that should be running the daemon pod and have one or more of the daemon pod running with a Ready Condition.'),
        observedGeneration: int('The most recent generation observed by the daemon set controller.'),
        updatedNumberScheduled: int32('The total number of nodes that are running updated daemon pod'),
        numberAvailable: int32('The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available (ready for at least spec.minReadySeconds)'),
        numberUnavailable: int32('The number of nodes that should be running the daemon pod and have none of the daemon pod running and available (ready for at least spec.minReadySeconds)'),
        collisionCount: int32('Count of hash collisions for the DaemonSet.'),
        conditions: keyedArr(conditionSchema(`${APPS}.DaemonSetCondition`), 'type', "Represents the latest available observations of a DaemonSet's current state."),
      },
      { description: 'The current status of this daemon set.' },
    ),
  },
);

export const controllerRevisionSchema: JsonSchema = envelope(
  { group: 'apps', version: 'v1', kind: 'ControllerRevision' },
  'ControllerRevision implements an immutable snapshot of state data. Clients are responsible for serializing and deserializing the objects that contain their internal state. Once a ControllerRevision has been successfully created, it can not be updated.',
  {
    // Free-form (an object with no properties): a RawExtension, the patch of a template.
    data: { type: 'object', description: 'Data is the serialized representation of the state.' },
    revision: int('Revision indicates the revision of the state represented by Data.'),
  },
  ['revision'],
);

