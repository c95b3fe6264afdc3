import { describe, expect, it } from 'vitest';
import { applyDefaults } from '../kinds/index.js';
import { QUANTITY_FORMAT_ERROR, QUANTITY_SUFFIX_ERROR } from '../quantity.js';
import type { Pod } from '../types/core.js';
import { validateObject } from './index.js';

function goodPod(): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'kuard', namespace: 'default', labels: { app: 'kuard' } },
    spec: {
      containers: [
        {
          name: 'kuard',
          image: 'gcr.io/kuar-demo/kuard-amd64:blue',
          ports: [{ name: 'http', containerPort: 8080 }],
          env: [{ name: 'MODE', value: 'demo' }],
          resources: { requests: { cpu: '500m', memory: '128Mi' }, limits: { cpu: '1', memory: '256Mi' } },
          volumeMounts: [{ name: 'data', mountPath: '/data' }],
          livenessProbe: { httpGet: { path: '/healthy', port: 8080 }, initialDelaySeconds: 5 },
        },
      ],
      volumes: [{ name: 'data', emptyDir: {} }],
    },
  };
}

const create = (pod: unknown) => validateObject(pod, { operation: 'create' });

describe('a good pod', () => {
  it('is valid before and after defaulting', () => {
    expect(create(goodPod())).toEqual([]);
    const p = goodPod();
    applyDefaults(p);
    expect(create(p)).toEqual([]);
  });

  it('may use generateName instead of name', () => {
    const p = goodPod();
    p.metadata = { generateName: 'kuard-', namespace: 'default' };
    expect(create(p)).toEqual([]);
  });
});

type Case = [string, (p: Pod) => void, string, string, (string | RegExp)?];
const c0 = (p: Pod) => p.spec.containers[0];

// name, mutation, field, reason, message (exact string or pattern)
const badPods: Case[] = [
  ['missing name', (p) => delete p.metadata.name, 'metadata.name', 'FieldValueRequired', 'Required value: name or generateName is required'],
  ['name not a DNS subdomain', (p) => (p.metadata.name = 'Kuard_1'), 'metadata.name', 'FieldValueInvalid', /^Invalid value: "Kuard_1": a lowercase RFC 1123 subdomain must consist of/],
  ['name too long', (p) => (p.metadata.name = 'a'.repeat(254)), 'metadata.name', 'FieldValueInvalid', /must be no more than 253 characters/],
  ['bad generateName', (p) => { delete p.metadata.name; p.metadata.generateName = 'Web-'; }, 'metadata.generateName', 'FieldValueInvalid', /^Invalid value: "Web-"/],
  ['missing namespace', (p) => delete p.metadata.namespace, 'metadata.namespace', 'FieldValueRequired', 'Required value'],
  ['bad namespace', (p) => (p.metadata.namespace = 'my.ns'), 'metadata.namespace', 'FieldValueInvalid', /RFC 1123 label/],
  ['bad label key', (p) => (p.metadata.labels = { '-app': 'x' }), 'metadata.labels', 'FieldValueInvalid', /^Invalid value: "-app": name part must consist of/],
  ['bad label value', (p) => (p.metadata.labels = { app: 'a b' }), 'metadata.labels', 'FieldValueInvalid', /^Invalid value: "a b": a valid label must be an empty string/],
  ['label value not a string', (p) => (p.metadata.labels = { app: 3 as unknown as string }), 'metadata.labels.app', 'FieldValueTypeInvalid', 'Invalid value: 3: must be of type string'],
  ['bad annotation key', (p) => (p.metadata.annotations = { 'a/b/c': 'x' }), 'metadata.annotations', 'FieldValueInvalid', /qualified name/],
  ['annotations too large', (p) => (p.metadata.annotations = { big: 'x'.repeat(256 * 1024) }), 'metadata.annotations', 'FieldValueTooLong', 'Too long: must have at most 262144 bytes'],
  ['duplicate finalizer', (p) => (p.metadata.finalizers = ['a.io/x', 'a.io/x']), 'metadata.finalizers[1]', 'FieldValueDuplicate', 'Duplicate value: "a.io/x"'],
  ['no containers', (p) => (p.spec.containers = []), 'spec.containers', 'FieldValueRequired', 'Required value'],
  ['containers missing', (p) => delete (p.spec as Partial<Pod['spec']>).containers, 'spec.containers', 'FieldValueRequired', 'Required value'],
  ['no spec at all', (p) => delete (p as Partial<Pod>).spec, 'spec.containers', 'FieldValueRequired', 'Required value'],
  ['container name missing', (p) => delete (c0(p) as Partial<Pod['spec']['containers'][0]>).name, 'spec.containers[0].name', 'FieldValueRequired', 'Required value'],
  ['container name not a DNS label', (p) => (c0(p).name = 'my.app'), 'spec.containers[0].name', 'FieldValueInvalid', /^Invalid value: "my.app": a lowercase RFC 1123 label/],
  ['duplicate container names', (p) => p.spec.containers.push({ ...c0(p), ports: [] }), 'spec.containers[1].name', 'FieldValueDuplicate', 'Duplicate value: "kuard"'],
  ['init container reuses a name', (p) => (p.spec.initContainers = [{ name: 'kuard', image: 'busybox' }]), 'spec.initContainers[0].name', 'FieldValueDuplicate', 'Duplicate value: "kuard"'],
  ['image missing', (p) => delete c0(p).image, 'spec.containers[0].image', 'FieldValueRequired', 'Required value'],
  ['image with spaces', (p) => (c0(p).image = ' nginx'), 'spec.containers[0].image', 'FieldValueInvalid', 'Invalid value: " nginx": must not have leading or trailing whitespace'],
  ['containerPort 0', (p) => (c0(p).ports = [{ containerPort: 0 }]), 'spec.containers[0].ports[0].containerPort', 'FieldValueRequired', 'Required value'],
  ['containerPort too big', (p) => (c0(p).ports = [{ containerPort: 70000 }]), 'spec.containers[0].ports[0].containerPort', 'FieldValueInvalid', 'Invalid value: 70000: must be between 1 and 65535, inclusive'],
  ['containerPort negative', (p) => (c0(p).ports = [{ containerPort: -1 }]), 'spec.containers[0].ports[0].containerPort', 'FieldValueInvalid', 'Invalid value: -1: must be between 1 and 65535, inclusive'],
  ['containerPort a string', (p) => (c0(p).ports = [{ containerPort: '80' as unknown as number }]), 'spec.containers[0].ports[0].containerPort', 'FieldValueTypeInvalid', 'Invalid value: "80": must be of type integer'],
  ['containerPort missing', (p) => (c0(p).ports = [{} as { containerPort: number }]), 'spec.containers[0].ports[0].containerPort', 'FieldValueRequired', 'Required value'],
  ['hostPort too big', (p) => (c0(p).ports = [{ containerPort: 80, hostPort: 65536 }]), 'spec.containers[0].ports[0].hostPort', 'FieldValueInvalid', 'Invalid value: 65536: must be between 1 and 65535, inclusive'],
  ['bad hostIP', (p) => (c0(p).ports = [{ containerPort: 80, hostPort: 80, hostIP: '1.2.3' }]), 'spec.containers[0].ports[0].hostIP', 'FieldValueInvalid', 'Invalid value: "1.2.3": must be a valid IP address'],
  ['bad protocol', (p) => (c0(p).ports = [{ containerPort: 80, protocol: 'HTTP' as 'TCP' }]), 'spec.containers[0].ports[0].protocol', 'FieldValueNotSupported', 'Unsupported value: "HTTP": supported values: "TCP", "UDP", "SCTP"'],
  ['duplicate port names', (p) => (c0(p).ports = [{ name: 'http', containerPort: 80 }, { name: 'http', containerPort: 81 }]), 'spec.containers[0].ports[1].name', 'FieldValueDuplicate', 'Duplicate value: "http"'],
  ['bad port name', (p) => (c0(p).ports = [{ name: 'HTTP_1', containerPort: 80 }]), 'spec.containers[0].ports[0].name', 'FieldValueInvalid', /^Invalid value: "HTTP_1": must contain only alpha-numeric/],
  ['host port used twice', (p) => { c0(p).ports = [{ containerPort: 80, hostPort: 8080 }]; p.spec.containers.push({ name: 'b', image: 'x', ports: [{ containerPort: 81, hostPort: 8080 }] }); }, 'spec.containers[1].ports[0].hostPort', 'FieldValueDuplicate', 'Duplicate value: "8080/TCP"'],
  ['hostNetwork hostPort mismatch', (p) => { p.spec.hostNetwork = true; c0(p).ports = [{ containerPort: 80, hostPort: 8080 }]; }, 'spec.containers[0].ports[0].hostPort', 'FieldValueInvalid', 'Invalid value: 8080: must match `containerPort` when `hostNetwork` is true'],
  ['env name starts with digit', (p) => (c0(p).env = [{ name: '1BAD', value: 'x' }]), 'spec.containers[0].env[0].name', 'FieldValueInvalid', /^Invalid value: "1BAD": a valid environment variable name/],
  ['env name empty', (p) => (c0(p).env = [{ name: '' }]), 'spec.containers[0].env[0].name', 'FieldValueRequired', 'Required value'],
  ['env value and valueFrom', (p) => (c0(p).env = [{ name: 'A', value: 'x', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }]), 'spec.containers[0].env[0].valueFrom', 'FieldValueInvalid', 'Invalid value: "": may not be specified when `value` is not empty'],
  ['env fieldRef unsupported', (p) => (c0(p).env = [{ name: 'A', valueFrom: { fieldRef: { fieldPath: 'spec.containers' } } }]), 'spec.containers[0].env[0].valueFrom.fieldRef.fieldPath', 'FieldValueNotSupported', /^Unsupported value: "spec.containers": supported values: "metadata.name"/],
  ['env resourceFieldRef unsupported', (p) => (c0(p).env = [{ name: 'A', valueFrom: { resourceFieldRef: { resource: 'cpu' } } }]), 'spec.containers[0].env[0].valueFrom.resourceFieldRef.resource', 'FieldValueNotSupported', /^Unsupported value: "cpu"/],
  ['quantity 12Q', (p) => (c0(p).resources = { limits: { memory: '12Q' } }), 'spec.containers[0].resources.limits.memory', 'FieldValueInvalid', `Invalid value: "12Q": ${QUANTITY_FORMAT_ERROR}`],
  ['quantity 1mi', (p) => (c0(p).resources = { requests: { memory: '1mi' } }), 'spec.containers[0].resources.requests.memory', 'FieldValueInvalid', `Invalid value: "1mi": ${QUANTITY_SUFFIX_ERROR}`],
  ['quantity of wrong type', (p) => (c0(p).resources = { limits: { cpu: true as unknown as string } }), 'spec.containers[0].resources.limits.cpu', 'FieldValueTypeInvalid', 'Invalid value: true: must be of type string or number'],
  ['negative quantity', (p) => (c0(p).resources = { requests: { cpu: '-1' } }), 'spec.containers[0].resources.requests.cpu', 'FieldValueInvalid', 'Invalid value: "-1": must be greater than or equal to 0'],
  ['cpu request above limit', (p) => (c0(p).resources = { requests: { cpu: '2' }, limits: { cpu: '1' } }), 'spec.containers[0].resources.requests', 'FieldValueInvalid', 'Invalid value: "2": must be less than or equal to cpu limit of 1'],
  ['memory request above limit', (p) => (c0(p).resources = { requests: { memory: '1Gi' }, limits: { memory: '0.5Gi' } }), 'spec.containers[0].resources.requests', 'FieldValueInvalid', 'Invalid value: "1Gi": must be less than or equal to memory limit of 512Mi'],
  ['unknown resource name', (p) => (c0(p).resources = { limits: { gpu: '1' } }), 'spec.containers[0].resources.limits.gpu', 'FieldValueInvalid', 'Invalid value: "gpu": must be a standard resource for containers'],
  ['extended resource request differs from limit', (p) => (c0(p).resources = { requests: { 'example.com/gpu': '1' }, limits: { 'example.com/gpu': '2' } }), 'spec.containers[0].resources.requests', 'FieldValueInvalid', 'Invalid value: "1": must be equal to example.com/gpu limit of 2'],
  ['fractional extended resource', (p) => (c0(p).resources = { limits: { 'example.com/gpu': '500m' } }), 'spec.containers[0].resources.limits[example.com/gpu]', 'FieldValueInvalid', 'Invalid value: "500m": must be an integer'],
  ['memory-swap below memory', (p) => (c0(p).resources = { limits: { memory: '128Mi', 'skiff.dev/memory-swap': '64Mi' } }), 'spec.containers[0].resources.limits[skiff.dev/memory-swap]', 'FieldValueInvalid', 'Invalid value: "64Mi": must be -1 or greater than or equal to memory limit of 128Mi'],
  ['memory-swap without memory', (p) => (c0(p).resources = { limits: { 'skiff.dev/memory-swap': '-1' } }), 'spec.containers[0].resources.limits.memory', 'FieldValueRequired', 'Required value: must be set when skiff.dev/memory-swap is set'],
  ['memory-swap in requests', (p) => (c0(p).resources = { requests: { 'skiff.dev/memory-swap': '1Gi' } }), 'spec.containers[0].resources.requests[skiff.dev/memory-swap]', 'FieldValueInvalid', /may only be set in limits/],
  ['bad restartPolicy', (p) => (p.spec.restartPolicy = 'Sometimes' as 'Always'), 'spec.restartPolicy', 'FieldValueNotSupported', 'Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"'],
  ['bad imagePullPolicy', (p) => (c0(p).imagePullPolicy = 'Maybe' as 'Always'), 'spec.containers[0].imagePullPolicy', 'FieldValueNotSupported', 'Unsupported value: "Maybe": supported values: "Always", "IfNotPresent", "Never"'],
  ['bad dnsPolicy', (p) => (p.spec.dnsPolicy = 'Google' as 'Default'), 'spec.dnsPolicy', 'FieldValueNotSupported', /^Unsupported value: "Google": supported values: "ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"$/],
  ['dnsPolicy None without dnsConfig', (p) => (p.spec.dnsPolicy = 'None'), 'spec.dnsConfig', 'FieldValueRequired', 'Required value: must provide `dnsConfig` when `dnsPolicy` is None'],
  ['dnsPolicy None without nameservers', (p) => Object.assign(p.spec, { dnsPolicy: 'None', dnsConfig: { searches: ['a'] } }), 'spec.dnsConfig.nameservers', 'FieldValueRequired', 'Required value: must provide at least one DNS nameserver when `dnsPolicy` is None'],
  ['four nameservers', (p) => (p.spec.dnsConfig = { nameservers: ['1.1.1.1', '1.0.0.1', '8.8.8.8', '8.8.4.4'] }), 'spec.dnsConfig.nameservers', 'FieldValueInvalid', /must not have more than 3 nameservers$/],
  ['nameserver not an IP', (p) => (p.spec.dnsConfig = { nameservers: ['dns.example'] }), 'spec.dnsConfig.nameservers[0]', 'FieldValueInvalid', 'Invalid value: "dns.example": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'],
  ['33 search domains', (p) => (p.spec.dnsConfig = { searches: Array.from({ length: 33 }, (_, i) => `d${i}.example`) }), 'spec.dnsConfig.searches', 'FieldValueInvalid', /must not have more than 32 search paths$/],
  ['dns option without a name', (p) => (p.spec.dnsConfig = { options: [{ value: '2' }] }), 'spec.dnsConfig.options[0].name', 'FieldValueRequired', 'Required value'],
  ['negative grace period', (p) => (p.spec.terminationGracePeriodSeconds = -1), 'spec.terminationGracePeriodSeconds', 'FieldValueInvalid', 'Invalid value: -1: must be greater than or equal to 0'],
  ['zero activeDeadlineSeconds', (p) => (p.spec.activeDeadlineSeconds = 0), 'spec.activeDeadlineSeconds', 'FieldValueInvalid', 'Invalid value: 0: must be between 1 and 2147483647, inclusive'],
  ['volume name duplicated', (p) => p.spec.volumes?.push({ name: 'data', emptyDir: {} }), 'spec.volumes[1].name', 'FieldValueDuplicate', 'Duplicate value: "data"'],
  ['volume name not a DNS label', (p) => (p.spec.volumes = [{ name: 'Data', emptyDir: {} }]), 'spec.volumes[0].name', 'FieldValueInvalid', /^Invalid value: "Data"/],
  ['volume without a source', (p) => (p.spec.volumes = [{ name: 'data' }]), 'spec.volumes[0]', 'FieldValueRequired', 'Required value: must specify a volume type'],
  ['volume with two sources', (p) => (p.spec.volumes = [{ name: 'data', emptyDir: {}, hostPath: { path: '/tmp' } }]), 'spec.volumes[0].hostPath', 'FieldValueForbidden', 'Forbidden: may not specify more than 1 volume type'],
  ['hostPath without path', (p) => (p.spec.volumes = [{ name: 'data', hostPath: { path: '' } }]), 'spec.volumes[0].hostPath.path', 'FieldValueRequired', 'Required value'],
  ['bad emptyDir sizeLimit', (p) => (p.spec.volumes = [{ name: 'data', emptyDir: { sizeLimit: '1XB' } }]), 'spec.volumes[0].emptyDir.sizeLimit', 'FieldValueInvalid', `Invalid value: "1XB": ${QUANTITY_FORMAT_ERROR}`],
  ['mount of a missing volume', (p) => (c0(p).volumeMounts = [{ name: 'nope', mountPath: '/x' }]), 'spec.containers[0].volumeMounts[0].name', 'FieldValueNotFound', 'Not found: "nope"'],
  ['mountPath twice', (p) => (c0(p).volumeMounts = [{ name: 'data', mountPath: '/x' }, { name: 'data', mountPath: '/x' }]), 'spec.containers[0].volumeMounts[1].mountPath', 'FieldValueInvalid', 'Invalid value: "/x": must be unique'],
  ['subPath escapes', (p) => (c0(p).volumeMounts = [{ name: 'data', mountPath: '/x', subPath: '../etc' }]), 'spec.containers[0].volumeMounts[0].subPath', 'FieldValueInvalid', `Invalid value: "../etc": must not contain '..'`],
  ['configMapKeyRef without name', (p) => (c0(p).env = [{ name: 'X', valueFrom: { configMapKeyRef: { name: '', key: 'k' } } }]), 'spec.containers[0].env[0].valueFrom.configMapKeyRef.name', 'FieldValueRequired', 'Required value'],
  ['secretKeyRef with a bad key', (p) => (c0(p).env = [{ name: 'X', valueFrom: { secretKeyRef: { name: 's', key: '..k' } } }]), 'spec.containers[0].env[0].valueFrom.secretKeyRef.key', 'FieldValueInvalid', `Invalid value: "..k": must not start with '..'`],
  ['valueFrom with two sources', (p) => (c0(p).env = [{ name: 'X', valueFrom: { fieldRef: { fieldPath: 'metadata.name' }, configMapKeyRef: { name: 'c', key: 'k' } } }]), 'spec.containers[0].env[0].valueFrom', 'FieldValueInvalid', 'Invalid value: "": may not have more than one field specified at a time'],
  ['envFrom without a source', (p) => (c0(p).envFrom = [{ prefix: 'A_' }]), 'spec.containers[0].envFrom[0]', 'FieldValueInvalid', 'Invalid value: "": must specify one of: `configMapRef` or `secretRef`'],
  ['envFrom with a bad prefix', (p) => (c0(p).envFrom = [{ prefix: '1=', configMapRef: { name: 'c' } }]), 'spec.containers[0].envFrom[0].prefix', 'FieldValueInvalid', /^Invalid value: "1=": a valid environment variable name/],
  ['configMap volume item escaping', (p) => (p.spec.volumes = [{ name: 'data', configMap: { name: 'c', items: [{ key: 'k', path: '../x' }] } }]), 'spec.volumes[0].configMap.items[0].path', 'FieldValueInvalid', `Invalid value: "../x": must not contain '..'`],
  ['configMap and secret in one volume', (p) => (p.spec.volumes = [{ name: 'data', configMap: { name: 'c' }, secret: { secretName: 's' } }]), 'spec.volumes[0].secret', 'FieldValueForbidden', 'Forbidden: may not specify more than 1 volume type'],
  ['probe without handler', (p) => (c0(p).livenessProbe = { periodSeconds: 5 }), 'spec.containers[0].livenessProbe', 'FieldValueRequired', 'Required value: must specify a handler type'],
  ['probe with two handlers', (p) => (c0(p).readinessProbe = { exec: { command: ['true'] }, tcpSocket: { port: 80 } }), 'spec.containers[0].readinessProbe.tcpSocket', 'FieldValueForbidden', 'Forbidden: may not specify more than 1 handler type'],
  ['probe failureThreshold 0', (p) => (c0(p).livenessProbe = { exec: { command: ['true'] }, failureThreshold: 0 }), 'spec.containers[0].livenessProbe.failureThreshold', 'FieldValueInvalid', 'Invalid value: 0: must be greater than or equal to 1'],
  ['liveness successThreshold 2', (p) => (c0(p).livenessProbe = { exec: { command: ['true'] }, successThreshold: 2 }), 'spec.containers[0].livenessProbe.successThreshold', 'FieldValueInvalid', 'Invalid value: 2: must be 1'],
  ['probe port out of range', (p) => (c0(p).livenessProbe = { tcpSocket: { port: 0 } }), 'spec.containers[0].livenessProbe.tcpSocket.port', 'FieldValueInvalid', 'Invalid value: 0: must be between 1 and 65535, inclusive'],
  ['probe exec without command', (p) => (c0(p).startupProbe = { exec: {} }), 'spec.containers[0].startupProbe.exec.command', 'FieldValueRequired', 'Required value'],
  ['probe bad scheme', (p) => (c0(p).livenessProbe = { httpGet: { port: 80, scheme: 'FTP' as 'HTTP' } }), 'spec.containers[0].livenessProbe.httpGet.scheme', 'FieldValueNotSupported', 'Unsupported value: "FTP": supported values: "HTTP", "HTTPS"'],
  ['preStop without handler', (p) => (c0(p).lifecycle = { preStop: {} }), 'spec.containers[0].lifecycle.preStop', 'FieldValueRequired', 'Required value: must specify a handler type'],
  ['preStop with two handlers', (p) => (c0(p).lifecycle = { preStop: { exec: { command: ['true'] }, sleep: { seconds: 1 } } }), 'spec.containers[0].lifecycle.preStop.sleep', 'FieldValueForbidden', 'Forbidden: may not specify more than 1 handler type'],
  ['preStop sleep past the grace period', (p) => ((p.spec.terminationGracePeriodSeconds = 5), (c0(p).lifecycle = { preStop: { sleep: { seconds: 10 } } })), 'spec.containers[0].lifecycle.preStop.sleep', 'FieldValueInvalid', 'Invalid value: 10: must be non-negative and less than terminationGracePeriodSeconds (5)'],
  ['lifecycle on an init container', (p) => (p.spec.initContainers = [{ name: 'init', image: 'busybox', lifecycle: { preStop: { sleep: { seconds: 1 } } } }]), 'spec.initContainers[0].lifecycle', 'FieldValueForbidden', 'Forbidden: may not be set for init containers without restartPolicy=Always'],
  ['probe on an init container', (p) => (p.spec.initContainers = [{ name: 'init', image: 'busybox', livenessProbe: { exec: { command: ['true'] } } }]), 'spec.initContainers[0].livenessProbe', 'FieldValueForbidden', 'Forbidden: may not be set for init containers'],
  ['toleration with empty key and Equal', (p) => (p.spec.tolerations = [{ operator: 'Equal', value: 'x' }]), 'spec.tolerations[0].operator', 'FieldValueInvalid', 'Invalid value: "Equal": operator must be Exists when `key` is empty, which means "match all values and all keys"'],
  ['toleration Exists with value', (p) => (p.spec.tolerations = [{ key: 'k', operator: 'Exists', value: 'v' }]), 'spec.tolerations[0].operator', 'FieldValueInvalid', `Invalid value: "v": value must be empty when \`operator\` is 'Exists'`],
  ['toleration bad operator', (p) => (p.spec.tolerations = [{ key: 'k', operator: 'Like' as 'Equal' }]), 'spec.tolerations[0].operator', 'FieldValueNotSupported', 'Unsupported value: "Like": supported values: "Equal", "Exists"'],
  ['tolerationSeconds without NoExecute', (p) => (p.spec.tolerations = [{ key: 'k', operator: 'Exists', effect: 'NoSchedule', tolerationSeconds: 5 }]), 'spec.tolerations[0].effect', 'FieldValueInvalid', `Invalid value: "NoSchedule": effect must be 'NoExecute' when \`tolerationSeconds\` is set`],
  ['toleration bad effect', (p) => (p.spec.tolerations = [{ key: 'k', operator: 'Exists', effect: 'NoRun' as 'NoSchedule' }]), 'spec.tolerations[0].effect', 'FieldValueNotSupported', 'Unsupported value: "NoRun": supported values: "", "NoSchedule", "PreferNoSchedule", "NoExecute"'],
  ['node affinity bad operator', (p) => (p.spec.affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'Near' as 'In', values: ['a'] }] }] } } }), 'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].operator', 'FieldValueNotSupported', 'Unsupported value: "Near": supported values: "DoesNotExist", "Exists", "Gt", "In", "Lt", "NotIn"'],
  ['node affinity In without values', (p) => (p.spec.affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In' }] }] } } }), 'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values', 'FieldValueRequired', "Required value: must be specified when `operator` is 'In' or 'NotIn'"],
  ['node affinity Gt not an integer', (p) => (p.spec.affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'cores', operator: 'Gt', values: ['many'] }] }] } } }), 'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values[0]', 'FieldValueInvalid', 'Invalid value: "many": must be an integer'],
  ['node affinity no terms', (p) => (p.spec.affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] } } }), 'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms', 'FieldValueRequired', 'Required value: must have at least one node selector term'],
  ['preferred weight 0', (p) => (p.spec.affinity = { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 0, preference: {} }] } }), 'spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight', 'FieldValueInvalid', 'Invalid value: 0: must be in the range 1-100'],
  ['bad nodeSelector value', (p) => (p.spec.nodeSelector = { disk: 'fast ssd' }), 'spec.nodeSelector', 'FieldValueInvalid', /^Invalid value: "fast ssd"/],
  ['bad nodeName', (p) => (p.spec.nodeName = 'Node_1'), 'spec.nodeName', 'FieldValueInvalid', /^Invalid value: "Node_1": a lowercase RFC 1123 subdomain/],
  ['runAsUser negative', (p) => (c0(p).securityContext = { runAsUser: -1 }), 'spec.containers[0].securityContext.runAsUser', 'FieldValueInvalid', 'Invalid value: -1: must be between 0 and 2147483647, inclusive'],
  ['bad status phase', (p) => (p.status = { phase: 'Sleeping' as 'Running' }), 'status.phase', 'FieldValueNotSupported', 'Unsupported value: "Sleeping": supported values: "Pending", "Running", "Succeeded", "Failed", "Unknown"'],
  ['bad podIP', (p) => (p.status = { podIP: '10.0.0.300' }), 'status.podIP', 'FieldValueInvalid', 'Invalid value: "10.0.0.300": must be a valid IP address'],
  ['bad timestamp', (p) => (p.metadata.creationTimestamp = 'yesterday'), 'metadata.creationTimestamp', 'FieldValueInvalid', 'Invalid value: "yesterday": must be an RFC 3339 date-time'],
  ['wrong kind-level type', (p) => ((p as unknown as { spec: unknown }).spec = 'x'), 'spec', 'FieldValueTypeInvalid', 'Invalid value: "x": must be of type object'],
];

describe('bad pods: each gives its field path and reason', () => {
  it.each(badPods)('%s', (_name, mutate, field, reason, message) => {
    const p = goodPod();
    mutate(p);
    const causes = create(p);
    const hit = causes.find((c) => c.field === field && c.reason === reason);
    expect(hit, JSON.stringify(causes, null, 1)).toBeDefined();
    if (typeof message === 'string') expect(hit?.message).toBe(message);
    else if (message) expect(hit?.message).toMatch(message);
  });

  it('reports every problem, not just the first', () => {
    const p = goodPod();
    p.metadata.name = 'Bad';
    c0(p).ports = [{ containerPort: 0 }];
    c0(p).resources = { requests: { cpu: '2' }, limits: { cpu: '1' } };
    expect(create(p).map((c) => c.field)).toEqual(['metadata.name', 'spec.containers[0].ports[0].containerPort', 'spec.containers[0].resources.requests']);
  });

  it('validates bodies that are not objects at all', () => {
    expect(create('pod')).toEqual([{ reason: 'FieldValueNotSupported', field: 'kind', message: expect.stringMatching(/^Unsupported value: ""/) }]);
    expect(validateObject(null, { operation: 'create', kind: 'Pod' })).toEqual([{ reason: 'FieldValueTypeInvalid', field: '', message: 'Invalid value: null: must be of type object' }]);
  });
});
