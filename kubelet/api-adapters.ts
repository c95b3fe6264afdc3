// The kubelet's small injected interfaces (PodStatusWriter, EventRecorder, ConfigGetter) on
// the REST client: status as a merge patch of pods/<name>/status, events as core/v1 Events
// through the shared recorder, ConfigMaps and Secrets by GET.
import { isApiError } from '../api/errors.js';
import type { ConfigMap, Pod, PodStatus, Secret } from '../api/types/core.js';
import { EventRecorder as SharedRecorder } from '../client/event-recorder.js';
import type { RestClient } from '../client/rest.js';
import type { ConfigKind } from './config-lookup.js';
import type { ConfigGetter } from './config-source.js';
import type { EventRecorder, EventType } from './events.js';
import type { PodStatusWriter } from './status/status-manager.js';

const STATUS_KEYS: (keyof PodStatus)[] = [
  'phase',
  'conditions',
  'message',
  'reason',
  'hostIP',
  'hostIPs',
  'podIP',
  'podIPs',
  'startTime',
  'initContainerStatuses',
  'containerStatuses',
  'qosClass',
];

/** A merge patch replaces what it names; keys the kubelet no longer sets are nulled so they go. */
export function statusPatch(uid: string, status: PodStatus): { metadata: { uid: string }; status: Record<string, unknown> } {
  const s: Record<string, unknown> = { ...status };
  for (const k of STATUS_KEYS) if (!(k in s) || s[k] === undefined) s[k] = null;
  return { metadata: { uid }, status: s };
}

export function restStatusWriter(client: RestClient): PodStatusWriter {
  return {
    async writeStatus(namespace, name, uid, status) {
      return client.pods.patchStatus(name, statusPatch(uid, status), { namespace, type: 'merge' });
    },
  };
}

/** GET /api/v1/namespaces/NS/configmaps|secrets/NAME; a 404 is "not there", anything else throws. */
export function restConfigGetter(client: RestClient): ConfigGetter {
  return {
    async get(kind: ConfigKind, namespace: string, name: string) {
      const plural = kind === 'ConfigMap' ? 'configmaps' : 'secrets';
      try {
        return await client.request<ConfigMap | Secret>({ path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/${plural}/${encodeURIComponent(name)}` });
      } catch (e) {
        if (isApiError(e, 'NotFound')) return undefined;
        throw e;
      }
    },
  };
}

export interface RestEventRecorderOptions {
  client: RestClient;
  nodeName: string;
  onError?: (err: unknown) => void;
  now?: () => number;
  /** Event writes per second at most, in bursts of `eventBurst` (the kubelet's --event-qps; 0 or none: no limit). */
  eventQPS?: number;
  eventBurst?: number;
}

/**
 * The kubelet's recorder on the shared one (client/event-recorder.ts): source kubelet on this
 * host, repeats aggregated (a crash loop's BackOff is one Event with a growing count), sent
 * without waiting: a lost event must never slow or fail a pod sync.
 */
export class RestEventRecorder implements EventRecorder {
  readonly shared: SharedRecorder;
  readonly #node: string;

  constructor(opts: RestEventRecorderOptions) {
    this.#node = opts.nodeName;
    this.shared = new SharedRecorder({
      client: opts.client,
      source: { component: 'kubelet', host: opts.nodeName },
      ...(opts.now ? { now: opts.now } : {}),
      ...(opts.eventQPS ? { qps: opts.eventQPS, burst: opts.eventBurst ?? 1 } : {}),
      logger: { warn: (obj) => opts.onError?.((obj as { err?: unknown }).err) },
    });
  }

  event(pod: Pod, type: EventType, reason: string, message: string, fieldPath?: string): void {
    const ref = {
      apiVersion: 'v1',
      kind: 'Pod',
      name: pod.metadata.name,
      namespace: pod.metadata.namespace ?? 'default',
      uid: pod.metadata.uid,
      ...(fieldPath ? { fieldPath } : {}),
    };
    this.shared.event(ref, type, reason, message);
  }

  /** An event about this node (ImageGCFailed, ...): Kubernetes' node reference has the node name as uid. */
  nodeEvent(type: EventType, reason: string, message: string): void {
    this.shared.event({ kind: 'Node', name: this.#node, uid: this.#node }, type, reason, message);
  }

  /** Waits for events in flight (shutdown, tests). */
  async flush(): Promise<void> {
    await this.shared.flush();
  }
}
