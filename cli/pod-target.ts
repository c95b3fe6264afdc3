// Which pod and container a pod verb (logs, exec, attach, cp) works on, as kubectl picks them:
// POD or pod/POD, and with no -c the container named by the annotation
// kubectl.kubernetes.io/default-container, else the first, with kubectl's note when it chose.
import type { Pod } from '../api/types/core.js';
import { CliError } from './errors.js';

const DEFAULT_CONTAINER = 'kubectl.kubernetes.io/default-container';

/** POD or pod/POD; any other TYPE/ is refused, naming the verb. */
export function podName(arg: string, verb: string): string {
  const slash = arg.indexOf('/');
  if (slash < 0) return arg;
  const type = arg.slice(0, slash).toLowerCase();
  if (type !== 'pod' && type !== 'pods' && type !== 'po') throw new CliError(`${verb} works on pods, not "${arg.slice(0, slash)}"`);
  return arg.slice(slash + 1);
}

/** The container to use, and the note kubectl prints when it had to choose. */
export function chooseContainer(pod: Pod, asked: string | undefined): { container: string; note?: string } {
  const names = [...(pod.spec.initContainers ?? []), ...pod.spec.containers].map((c) => c.name);
  if (asked) {
    if (!names.includes(asked)) throw new CliError(`container ${asked} is not valid for pod ${pod.metadata.name}`);
    return { container: asked };
  }
  const app = pod.spec.containers.map((c) => c.name);
  const annotated = pod.metadata.annotations?.[DEFAULT_CONTAINER];
  const chosen = annotated && app.includes(annotated) ? annotated : app[0];
  if (!chosen) throw new CliError(`pod ${pod.metadata.name} has no containers`);
  return { container: chosen, note: app.length > 1 ? `Defaulted container "${chosen}" out of: ${app.join(', ')}` : undefined };
}
