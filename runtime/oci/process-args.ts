// The container's argv and environment from the image config and the CRI container config,
// with the rules Kubernetes documents ("Define a command and arguments for a container") and
// containerd implements: command replaces the image's Entrypoint *and* Cmd; args alone replace
// only Cmd; neither keeps both.
import { RuntimeError } from '../cri.js';
import type { ImageConfig, KeyValue } from '../cri.js';
import { DEFAULT_PATH } from './defaults.js';

export function processArgs(image: ImageConfig, command: string[] | undefined, args: string[] | undefined): string[] {
  let cmd = command ?? [];
  let rest = args ?? [];
  if (cmd.length === 0) {
    if (rest.length === 0) rest = [...(image.cmd ?? [])];
    // An Entrypoint of [""] is how an image says "no entrypoint" (docker's `ENTRYPOINT []`).
    const ep = image.entrypoint ?? [];
    if (!(ep.length === 1 && ep[0] === '')) cmd = [...ep];
  }
  const argv = [...cmd, ...rest];
  if (argv.length === 0) throw new RuntimeError('InvalidArgument', 'no command specified: the image has no Entrypoint or Cmd and the container no command or args');
  return argv;
}

/** Image env first, then the container's; a later value for the same key replaces the earlier one in place. */
export function mergeEnv(imageEnv: string[] | undefined, envs: KeyValue[] | undefined, extra: Record<string, string> = {}): string[] {
  const order: string[] = [];
  const values = new Map<string, string>();
  const put = (key: string, value: string) => {
    if (!values.has(key)) order.push(key);
    values.set(key, value);
  };
  for (const e of imageEnv ?? []) {
    const eq = e.indexOf('=');
    if (eq <= 0) continue;
    put(e.slice(0, eq), e.slice(eq + 1));
  }
  for (const [k, v] of Object.entries(extra)) if (!values.has(k)) put(k, v);
  for (const kv of envs ?? []) {
    if (!kv.key) throw new RuntimeError('InvalidArgument', 'environment variable with an empty name');
    put(kv.key, kv.value);
  }
  if (!values.has('PATH')) put('PATH', DEFAULT_PATH);
  return order.map((k) => `${k}=${values.get(k)}`);
}
