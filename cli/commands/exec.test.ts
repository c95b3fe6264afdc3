import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { remoteCommandQuery } from '../streams/remote-command.js';
import { attachCommand, execCommand, reportResult, type RemoteCommandInvocation } from './exec.js';

async function parse(make: typeof execCommand, args: string[]): Promise<RemoteCommandInvocation> {
  let got: RemoteCommandInvocation | undefined;
  await make(async (inv) => void (got = inv))
    .exitOverride()
    .parseAsync(args, { from: 'user' });
  if (!got) throw new Error('no invocation');
  return got;
}

describe('skiff exec arguments', () => {
  it('reads kubectl exec forms: flags before --, the command after it, -c after it untouched', async () => {
    const inv = await parse(execCommand, ['-it', 'web', '-c', 'app', '--', 'sh', '-c', 'echo hi']);
    expect(inv).toMatchObject({ kind: 'exec', pod: 'web', command: ['sh', '-c', 'echo hi'], flags: { stdin: true, tty: true, container: 'app' } });
    const plain = await parse(execCommand, ['pod/web', '-n', 'ns', '--', 'ls', '-l']);
    expect(plain).toMatchObject({ pod: 'pod/web', command: ['ls', '-l'], flags: { namespace: 'ns' } });
    expect(plain.flags.stdin).toBeUndefined();
  });

  it('attach takes no command', async () => {
    const inv = await parse(attachCommand, ['web', '-i', '-t', '-c', 'app']);
    expect(inv).toMatchObject({ kind: 'attach', pod: 'web', command: [], flags: { stdin: true, tty: true, container: 'app' } });
  });
});

describe('remoteCommandQuery', () => {
  const target = { kind: 'exec' as const, namespace: 'ns', pod: 'p', container: 'c', command: ['sh', '-c', 'x y'], tty: false };
  it('repeats command, and asks only for the streams there are', () => {
    expect(remoteCommandQuery(target, { stdin: false, stderr: true }).toString()).toBe('command=sh&command=-c&command=x+y&container=c&stdout=true&stderr=true');
    // A terminal merges stderr into stdout, as kubectl asks it.
    expect(remoteCommandQuery({ ...target, tty: true }, { stdin: true, stderr: true }).toString()).toBe('command=sh&command=-c&command=x+y&container=c&stdin=true&stdout=true&tty=true');
  });
});

describe('reportResult', () => {
  const io = () => {
    const stderr = new PassThrough();
    let text = '';
    stderr.on('data', (c: Buffer) => (text += c.toString()));
    return { io: { stdout: new PassThrough(), stderr }, text: () => text };
  };
  it("says kubectl's line and answers the remote exit code", () => {
    const { io: streams, text } = io();
    expect(reportResult({ exitCode: 3, status: { reason: 'NonZeroExitCode' } }, streams)).toBe(3);
    expect(text()).toBe('command terminated with exit code 3\n');
    expect(reportResult({ exitCode: 0 }, streams)).toBe(0);
  });
  it('turns any other failure into an error', () => {
    const { io: streams } = io();
    expect(() => reportResult({ exitCode: 1, message: 'Internal error occurred: no such container', status: { reason: 'InternalError' } }, streams)).toThrow('no such container');
  });
});
