// Bind: POST pods/<name>/binding through the API server (what Kubernetes' DefaultBinder does).
import type { CycleState } from '../../framework/cycle-state.js';
import type { BindPlugin, PodBinder } from '../../framework/interfaces.js';
import type { PodInfo } from '../../framework/node-info.js';
import { errorStatus, success, type Status } from '../../framework/status.js';

export const NAME = 'DefaultBinder';

export class DefaultBinder implements BindPlugin {
  readonly name = NAME;
  readonly #binder: PodBinder;

  constructor(binder: PodBinder) {
    this.#binder = binder;
  }

  async bind(_state: CycleState, pod: PodInfo, nodeName: string, annotations: Record<string, string>): Promise<Status> {
    try {
      await this.#binder.bind(pod.pod, nodeName, annotations);
      return success();
    } catch (err) {
      return errorStatus(err);
    }
  }
}
