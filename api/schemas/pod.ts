// core/v1 Pod and Binding: types, enums and required fields. Ranges, names and cross-field
// rules are semantic checks in api/validation/, where Kubernetes' exact messages live.
import type { JsonSchema } from './json-schema.js';
import { arr, bool, enumOf, int, int32, intOrString, keyedArr, nullableTime, obj, quantity, resourceList, str, strMap, time } from './json-schema.js';
import { envelope } from './meta.js';

const CORE = 'io.k8s.api.core.v1';

/** A reference to an object in the same namespace, by name (a pod's or a ServiceAccount's imagePullSecrets). */
export const localObjectReferenceSchema = obj(`${CORE}.LocalObjectReference`, {
  name: str('Name of the referent: for imagePullSecrets, a Secret of type kubernetes.io/dockerconfigjson in the same namespace.'),
});

export const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];
export const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'];
export const DNS_POLICIES = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];
export const PROTOCOLS = ['TCP', 'UDP', 'SCTP'];
export const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];
export const POD_PHASES = ['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown'];
export const CONDITION_STATUSES = ['True', 'False', 'Unknown'];

const resourceRequirements = obj(`${CORE}.ResourceRequirements`, {
  limits: resourceList('Maximum amount of compute resources allowed.'),
  requests: resourceList('Minimum amount of compute resources required; defaults to limits.'),
}, { description: 'Compute resources required by this container: requests drive scheduling, limits drive cgroups.' });

const containerPort = obj(
  `${CORE}.ContainerPort`,
  {
    name: str('An IANA_SVC_NAME, unique within the pod.'),
    containerPort: int32('Port to expose on the pod IP, 0 < x < 65536.'),
    hostPort: int32('Port to expose on the host, 0 < x < 65536.'),
    hostIP: str('Host IP to bind the external port to.'),
    protocol: enumOf(PROTOCOLS, 'Defaults to "TCP".'),
  },
  { description: 'A network port in a single container.', required: ['containerPort'] },
);

const objectFieldSelector = obj(`${CORE}.ObjectFieldSelector`, { apiVersion: str(), fieldPath: str('Path of the field to select.') }, { required: ['fieldPath'] });
const resourceFieldSelector = obj(
  `${CORE}.ResourceFieldSelector`,
  { containerName: str(), resource: str('Required: resource to select.'), divisor: quantity() },
  { required: ['resource'] },
);
const optional = (what: string) => bool(`Specify whether the ${what} must be defined.`);

const envVar = obj(
  `${CORE}.EnvVar`,
  {
    name: str('Name of the environment variable.'),
    value: str('Value, with $(VAR_NAME) references expanded.'),
    valueFrom: obj(`${CORE}.EnvVarSource`, {
      fieldRef: objectFieldSelector,
      resourceFieldRef: resourceFieldSelector,
      configMapKeyRef: obj(
        `${CORE}.ConfigMapKeySelector`,
        { name: str('Name of the ConfigMap in the pod\'s namespace.'), key: str('The key to select.'), optional: optional('ConfigMap or its key') },
        { required: ['key'], description: 'Selects a key of a ConfigMap.' },
      ),
      secretKeyRef: obj(
        `${CORE}.SecretKeySelector`,
        { name: str('Name of the Secret in the pod\'s namespace.'), key: str('The key of the secret to select from.'), optional: optional('Secret or its key') },
        { required: ['key'], description: 'Selects a key of a Secret in the pod\'s namespace.' },
      ),
    }),
  },
  { description: 'An environment variable present in a container.', required: ['name'] },
);

const envFromSource = obj(
  `${CORE}.EnvFromSource`,
  {
    prefix: str('An optional identifier to prepend to each key in the ConfigMap or Secret. Must be a C_IDENTIFIER.'),
    configMapRef: obj(`${CORE}.ConfigMapEnvSource`, { name: str('Name of the ConfigMap.'), optional: optional('ConfigMap') }),
    secretRef: obj(`${CORE}.SecretEnvSource`, { name: str('Name of the Secret.'), optional: optional('Secret') }),
  },
  { description: 'A source of a set of ConfigMaps or Secrets.' },
);

const keyToPath = obj(
  `${CORE}.KeyToPath`,
  {
    key: str('The key to project.'),
    path: str('The relative path of the file to map the key to. May not be an absolute path, may not contain the path element \'..\' and may not start with \'..\'.'),
    mode: int32('Mode bits used to set permissions on this file, 0000 to 0777.'),
  },
  { required: ['key', 'path'], description: 'Maps a string key to a path within a volume.' },
);
const items = (what: string) => arr(keyToPath, `If unspecified, each key-value pair in the Data field of the referenced ${what} is projected into the volume as a file whose name is the key and content is the value.`);
const defaultMode = int32('Mode bits used to set permissions on created files by default, 0000 to 0777. Defaults to 0644.');

const downwardAPIVolumeFile = obj(
  `${CORE}.DownwardAPIVolumeFile`,
  {
    path: str('Relative path name of the file to be created.'),
    fieldRef: objectFieldSelector,
    resourceFieldRef: resourceFieldSelector,
    mode: int32('Mode bits used to set permissions on this file, 0000 to 0777.'),
  },
  { required: ['path'], description: 'Information to create the file containing the pod field.' },
);
const downwardAPIItems = arr(downwardAPIVolumeFile, 'Items is a list of downward API volume file.');

const projectedVolumeSource = obj(
  `${CORE}.ProjectedVolumeSource`,
  {
    defaultMode,
    sources: arr(
      obj(`${CORE}.VolumeProjection`, {
        configMap: obj(`${CORE}.ConfigMapProjection`, { name: str(), items: items('ConfigMap'), optional: optional('ConfigMap or its keys') }),
        secret: obj(`${CORE}.SecretProjection`, { name: str(), items: items('Secret'), optional: optional('Secret or its key') }),
        downwardAPI: obj(`${CORE}.DownwardAPIProjection`, { items: downwardAPIItems }),
        serviceAccountToken: obj(
          `${CORE}.ServiceAccountTokenProjection`,
          { audience: str(), expirationSeconds: int(), path: str('Path relative to the mount point of the file to project the token into.') },
          { required: ['path'] },
        ),
      }),
      'Sources is the list of volume projections.',
    ),
  },
  { description: 'Represents a projected volume source.' },
);

const volumeMount = obj(
  `${CORE}.VolumeMount`,
  {
    name: str('Must match the name of a volume.'),
    mountPath: str('Path within the container at which the volume should be mounted.'),
    readOnly: bool(),
    subPath: str('Path within the volume from which the container volume should be mounted.'),
  },
  { description: 'A mounting of a volume within a container.', required: ['name', 'mountPath'] },
);

const execAction = obj(`${CORE}.ExecAction`, { command: arr(str()) });
const httpGetAction = obj(
  `${CORE}.HTTPGetAction`,
  {
    path: str(),
    port: intOrString('Number or IANA_SVC_NAME of the port.'),
    host: str(),
    scheme: enumOf(['HTTP', 'HTTPS'], 'Defaults to HTTP.'),
    httpHeaders: arr(obj(`${CORE}.HTTPHeader`, { name: str(), value: str() }, { required: ['name'] })),
  },
  { required: ['port'] },
);

const probe = obj(`${CORE}.Probe`, {
  exec: execAction,
  httpGet: httpGetAction,
  tcpSocket: obj(`${CORE}.TCPSocketAction`, { port: intOrString(), host: str() }, { required: ['port'] }),
  initialDelaySeconds: int32(),
  timeoutSeconds: int32('Defaults to 1.'),
  periodSeconds: int32('Defaults to 10.'),
  successThreshold: int32('Defaults to 1; must be 1 for liveness and startup.'),
  failureThreshold: int32('Defaults to 3.'),
  terminationGracePeriodSeconds: int(),
}, { description: 'A health check performed against a container to tell whether it is alive or ready to receive traffic.' });

const lifecycle = obj(`${CORE}.Lifecycle`, {
  preStop: obj(`${CORE}.LifecycleHandler`, {
    exec: execAction,
    httpGet: httpGetAction,
    sleep: obj(`${CORE}.SleepAction`, { seconds: int('Seconds to sleep.') }, { required: ['seconds'] }),
  }, { description: 'Called immediately before a container is terminated; the grace period counts down while it runs.' }),
}, { description: 'Actions the management system takes in response to container lifecycle events.' });

const securityContext = obj(`${CORE}.SecurityContext`, {
  runAsUser: int(),
  runAsGroup: int(),
  runAsNonRoot: bool(),
  readOnlyRootFilesystem: bool(),
  allowPrivilegeEscalation: bool(),
  privileged: bool(),
  capabilities: obj(`${CORE}.Capabilities`, { add: arr(str()), drop: arr(str()) }),
}, { description: 'Security options the container should be run with.' });

export const containerSchema = obj(
  `${CORE}.Container`,
  {
    name: str('DNS_LABEL, unique within the pod. Cannot be updated.'),
    image: str('Container image name.'),
    command: arr(str(), 'Entrypoint array. Not executed within a shell.'),
    args: arr(str(), 'Arguments to the entrypoint.'),
    workingDir: str(),
    ports: keyedArr(containerPort, 'containerPort'),
    env: keyedArr(envVar, 'name'),
    envFrom: arr(envFromSource, 'List of sources to populate environment variables in the container. Values defined by an Env with a duplicate key take precedence.'),
    resources: resourceRequirements,
    volumeMounts: keyedArr(volumeMount, 'mountPath'),
    livenessProbe: probe,
    readinessProbe: probe,
    startupProbe: probe,
    lifecycle,
    imagePullPolicy: enumOf(PULL_POLICIES, 'Always if :latest or no tag, IfNotPresent otherwise.'),
    securityContext,
    terminationMessagePath: str(),
    terminationMessagePolicy: enumOf(['File', 'FallbackToLogsOnError']),
    stdin: bool(),
    stdinOnce: bool(),
    tty: bool(),
  },
  { description: 'A single application container to run within a pod.', required: ['name'] },
);

const volume = obj(
  `${CORE}.Volume`,
  {
    name: str('DNS_LABEL, unique within the pod.'),
    emptyDir: obj(`${CORE}.EmptyDirVolumeSource`, { medium: enumOf(['', 'Memory']), sizeLimit: quantity() }),
    hostPath: obj(
      `${CORE}.HostPathVolumeSource`,
      { path: str(), type: enumOf(['', 'DirectoryOrCreate', 'Directory', 'FileOrCreate', 'File', 'Socket', 'CharDevice', 'BlockDevice']) },
      { required: ['path'] },
    ),
    configMap: obj(`${CORE}.ConfigMapVolumeSource`, { name: str('Name of the ConfigMap.'), items: items('ConfigMap'), defaultMode, optional: optional('ConfigMap or its keys') }),
    secret: obj(`${CORE}.SecretVolumeSource`, { secretName: str('Name of the secret in the pod\'s namespace to use.'), items: items('Secret'), defaultMode, optional: optional('Secret or its keys') }),
    downwardAPI: obj(`${CORE}.DownwardAPIVolumeSource`, { items: downwardAPIItems, defaultMode }),
    projected: projectedVolumeSource,
  },
  { description: 'A named volume in a pod that any container in the pod may mount.', required: ['name'] },
);

const nodeSelectorRequirement = obj(
  `${CORE}.NodeSelectorRequirement`,
  { key: str(), operator: str('In, NotIn, Exists, DoesNotExist, Gt or Lt.'), values: arr(str()) },
  { required: ['key', 'operator'] },
);
const nodeSelectorTerm = obj(`${CORE}.NodeSelectorTerm`, { matchExpressions: arr(nodeSelectorRequirement), matchFields: arr(nodeSelectorRequirement) });

const affinity = obj(`${CORE}.Affinity`, {
  nodeAffinity: obj(`${CORE}.NodeAffinity`, {
    requiredDuringSchedulingIgnoredDuringExecution: obj(`${CORE}.NodeSelector`, { nodeSelectorTerms: arr(nodeSelectorTerm) }, { required: ['nodeSelectorTerms'] }),
    preferredDuringSchedulingIgnoredDuringExecution: arr(
      obj(`${CORE}.PreferredSchedulingTerm`, { weight: int32('1-100'), preference: nodeSelectorTerm }, { required: ['weight', 'preference'] }),
    ),
  }),
}, { description: 'Scheduling constraints of the pod.' });

const toleration = obj(`${CORE}.Toleration`, {
  key: str(),
  operator: str('Exists or Equal; defaults to Equal.'),
  value: str(),
  effect: enumOf(['', ...TAINT_EFFECTS]),
  tolerationSeconds: int(),
}, { description: 'Lets the pod be scheduled onto (or stay on) nodes with a matching taint.' });

export const podSpecSchema = obj(
  `${CORE}.PodSpec`,
  {
    containers: keyedArr(containerSchema, 'name', 'At least one container. Cannot be updated.'),
    initContainers: keyedArr(containerSchema, 'name'),
    volumes: keyedArr(volume, 'name', undefined, true),
    restartPolicy: enumOf(RESTART_POLICIES, 'Defaults to Always.'),
    terminationGracePeriodSeconds: int('Defaults to 30 seconds.'),
    activeDeadlineSeconds: int(),
    nodeName: str('Set by the scheduler through the binding subresource.'),
    nodeSelector: strMap(),
    affinity,
    tolerations: arr(toleration),
    hostNetwork: bool(),
    hostname: str(),
    subdomain: str(),
    schedulerName: str('Defaults to default-scheduler.'),
    priority: int32(),
    priorityClassName: str(),
    securityContext: obj(`${CORE}.PodSecurityContext`, {
      runAsUser: int(),
      runAsGroup: int(),
      runAsNonRoot: bool(),
      fsGroup: int(),
      supplementalGroups: arr(int()),
    }),
    serviceAccountName: str(),
    automountServiceAccountToken: bool("Whether a service account token should be mounted (stored; the kubelet mounts none yet)."),
    imagePullSecrets: keyedArr(
      localObjectReferenceSchema,
      'name',
      'Secrets whose registry credentials the kubelet uses to pull this pod\'s images, tried in order before the node\'s own.',
    ),
    dnsPolicy: enumOf(DNS_POLICIES, 'Defaults to ClusterFirst.'),
    dnsConfig: obj(`${CORE}.PodDNSConfig`, {
      nameservers: arr(str()),
      searches: arr(str()),
      options: arr(obj(`${CORE}.PodDNSConfigOption`, { name: str(), value: str() })),
    }),
    enableServiceLinks: bool(),
  },
  { description: 'The desired behavior of the pod.', required: ['containers'] },
);

const containerState = obj(`${CORE}.ContainerState`, {
  waiting: obj(`${CORE}.ContainerStateWaiting`, { reason: str(), message: str() }),
  running: obj(`${CORE}.ContainerStateRunning`, { startedAt: time() }),
  terminated: obj(
    `${CORE}.ContainerStateTerminated`,
    { exitCode: int32(), signal: int32(), reason: str(), message: str(), startedAt: time(), finishedAt: time(), containerID: str() },
  ),
});

const containerStatus = obj(
  `${CORE}.ContainerStatus`,
  {
    name: str(),
    state: containerState,
    lastState: containerState,
    ready: bool(),
    restartCount: int32(),
    image: str(),
    imageID: str(),
    containerID: str(),
    started: bool(),
  },
  // Only the name: Go clients always send ready/restartCount/image/imageID, but an absent one
  // means its zero value there, so requiring them would be stricter than Kubernetes.
  { description: 'The observed state of one container.', required: ['name'] },
);

const podIP = obj(`${CORE}.PodIP`, { ip: str() }, { required: ['ip'] });

export const podStatusSchema = obj(`${CORE}.PodStatus`, {
  phase: enumOf(POD_PHASES),
  conditions: keyedArr(
    obj(
      `${CORE}.PodCondition`,
      { type: str(), status: enumOf(CONDITION_STATUSES), lastProbeTime: nullableTime(), lastTransitionTime: time(), reason: str(), message: str() },
      { required: ['type'] },
    ),
    'type',
  ),
  message: str(),
  reason: str(),
  hostIP: str(),
  hostIPs: keyedArr(podIP, 'ip'),
  podIP: str(),
  podIPs: keyedArr(podIP, 'ip'),
  startTime: time(),
  initContainerStatuses: arr(containerStatus),
  containerStatuses: arr(containerStatus),
  qosClass: enumOf(['Guaranteed', 'Burstable', 'BestEffort']),
  nominatedNodeName: str(),
}, { description: 'The most recently observed status of the pod, written by the kubelet and scheduler.' });

export const podSchema: JsonSchema = envelope(
  { group: '', version: 'v1', kind: 'Pod' },
  'Pod is a collection of containers that can run on a host.',
  { spec: podSpecSchema, status: podStatusSchema },
);

export const objectReferenceSchema = obj(`${CORE}.ObjectReference`, {
  apiVersion: str(),
  kind: str(),
  name: str(),
  namespace: str(),
  uid: str(),
  resourceVersion: str(),
  fieldPath: str('For a part of an object, e.g. spec.containers{name}.'),
});

export const bindingSchema: JsonSchema = envelope(
  { group: '', version: 'v1', kind: 'Binding' },
  'Binding ties one object to another; for example, a pod is bound to a node by a scheduler.',
  { target: objectReferenceSchema },
  ['target'],
);
