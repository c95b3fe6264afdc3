// k3s's `--disable`: packaged components a cluster may go without. One rule for the flag, read
// by `skiff up`, `skiff server` and `skiff controller-manager` alike (the first two hand it on
// to the controller-manager, which leaves the component out).
import { InvalidArgumentError } from 'commander';

/** What `--disable` can turn off: ServiceLB (LoadBalancer Services then stay pending, as k3s's). */
export const DISABLEABLE = ['servicelb'] as const;

export const DISABLE_HELP = "packaged components not to run, comma-separated, as k3s's --disable (servicelb: LoadBalancer Services stay pending)";

/** Commander's parser for a repeatable, comma-separated `--disable`: unknown names are refused. */
export function parseDisable(v: string, prev: string[] = []): string[] {
  const names = v.split(',').map((s) => s.trim()).filter(Boolean);
  for (const n of names) {
    if (!(DISABLEABLE as readonly string[]).includes(n)) throw new InvalidArgumentError(`unknown controller "${n}" (known: ${DISABLEABLE.join(', ')})`);
  }
  return [...new Set([...prev, ...names])];
}
