// preStop hooks (Kubernetes' executePreStopHook and its handler runner): before a container
// gets its stop signal, the hook runs (exec in the container, an HTTP GET to the pod, or a
// sleep) for at most the grace period; the time it took comes off the grace the runtime then
// gives. A failed hook is a FailedPreStopHook event, and the container is stopped regardless.
import type { Container, Pod } from '../api/types/core.js';
import { containerFieldPath } from './events.js';
import type { Killer } from './kill.js';
import { httpProbe } from './prober/http-probe.js';
import { httpGetTarget } from './prober/run-probe.js';

/** Runs `c`'s preStop hook in container `id`, waiting at most `graceSeconds`; returns the whole seconds it took. */
export async function runPreStopHook(k: Killer, pod: Pod, c: Container, id: string, graceSeconds: number): Promise<number> {
  const hook = c.lifecycle?.preStop;
  if (!hook) return 0;
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceSeconds * 1000)));
  const run = async (): Promise<string | undefined> => {
    if (hook.exec) {
      const command = hook.exec.command ?? [];
      const res = await k.runtime.execSync(id, command, graceSeconds);
      if (res.exitCode === 0) return undefined;
      const out = Buffer.concat([res.stdout, res.stderr]).toString('utf8');
      return `Exec lifecycle hook (${JSON.stringify(command)}) for Container "${c.name}" in Pod "${pod.metadata.name}_${pod.metadata.namespace}(${pod.metadata.uid})" failed - error: command '${command.join(' ')}' exited with ${res.exitCode}: ${out}, message: "${out}"`;
    }
    if (hook.httpGet) {
      const failed = (error: string) => `HTTP lifecycle hook (${hook.httpGet?.path ?? ''}) for Container "${c.name}" in Pod "${pod.metadata.name}_${pod.metadata.namespace}(${pod.metadata.uid})" failed - error: ${error}`;
      const target = httpGetTarget(hook.httpGet, c, pod.status?.podIP);
      if ('error' in target) return failed(target.error);
      const r = await httpProbe(target, graceSeconds * 1000);
      return r.result === 'Success' ? undefined : failed(r.output);
    }
    if (hook.sleep) await new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, hook.sleep?.seconds ?? 0) * 1000).unref());
    return undefined;
  };
  const outcome = run().catch((e: unknown) => (e instanceof Error ? e.message : String(e)));
  const failed = await Promise.race([outcome, deadline.then(() => undefined)]);
  clearTimeout(timer);
  if (failed) k.recorder.event(pod, 'Warning', 'FailedPreStopHook', failed, containerFieldPath(c.name, false));
  return Math.floor((Date.now() - started) / 1000);
}
