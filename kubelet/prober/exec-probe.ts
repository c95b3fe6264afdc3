// exec probes: run the command in the container through the CRI's ExecSync; exit 0 is
// success, and the output (its first 10 KiB, trimmed) is what the Unhealthy event shows.
import type { RuntimeService } from '../../runtime/cri.js';
import type { ProbeOutcome } from './types.js';

/** What a probe's output may be: Kubernetes' exec prober reads 10 KiB (maxReadLength) of it. */
const MAX_OUTPUT = 10 * 1024;

export async function execProbe(runtime: RuntimeService, containerId: string, command: string[], timeoutSeconds: number): Promise<ProbeOutcome> {
  try {
    const res = await runtime.execSync(containerId, command, timeoutSeconds);
    const output = Buffer.concat([res.stdout, res.stderr]).subarray(0, MAX_OUTPUT).toString('utf8').trim();
    if (res.exitCode === 0) return { result: 'Success', output };
    return { result: 'Failure', output: output || `command ${JSON.stringify(command.join(' '))} exited with ${res.exitCode}` };
  } catch (e) {
    return { result: 'Failure', output: e instanceof Error ? e.message : String(e) };
  }
}
