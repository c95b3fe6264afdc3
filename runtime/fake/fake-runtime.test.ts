// The fake runs the CRI contract the real runtime runs (test/runtime/cri-contract.test.ts), so
// the kubelet's unit tests see the runtime the kubelet gets.
import { FakeRuntime } from './fake-runtime.js';
import { RuntimeError } from '../cri.js';
import { describeCriContract, describeImageContract, shellOf, type Script } from '../testing/cri-contract.js';
import type { FakeExecIO } from './fake-runtime.js';

/** An exec'd script played on the fake's streams: print, echo stdin, then exit or wait for kill(). */
async function playScript(script: Script, io: FakeExecIO): Promise<number> {
  for (const l of script.stdout ?? []) io.stdout.write(`${l}\n`);
  for (const l of script.stderr ?? []) io.stderr.write(`${l}\n`);
  if (script.echoStdin) for await (const chunk of io.stdin) io.stdout.write(chunk);
  if (script.exitCode !== undefined) return script.exitCode;
  return new Promise<number>(() => undefined); // until killed
}

describeCriContract('runtime/fake', async () => {
  const rt = new FakeRuntime();
  rt.addImage('busybox');
  let n = 0;
  // The fake runs no shell: an exec'd command is looked up among the scripts the suite made commands of.
  const scripts = new Map<string, Script>();
  rt.execStreamHandler = async (_id, io) => {
    const script = scripts.get(JSON.stringify(io.options.cmd));
    return script ? playScript(script, io) : 0;
  };
  // A container whose script echoes its stdin does so on its console, and exits when that ends.
  rt.containerProcess = (id, io) => {
    const script = scripts.get(JSON.stringify(io.config.command));
    if (!script?.echoStdin) return;
    void (async () => {
      for await (const chunk of io.stdin) io.stdout.write(chunk);
      if (script.exitCode !== undefined) rt.exitContainer(id, script.exitCode);
    })();
  };
  return {
    rt,
    image: 'busybox',
    sandboxConfig: (name) => ({ metadata: { name, namespace: 'default', uid: `uid-${name}-${n++}`, attempt: 0 } }),
    containerConfig: (name, script, attempt = 0) => {
      scripts.set(JSON.stringify(shellOf(script)), script);
      return { metadata: { name, attempt }, image: { image: 'busybox' }, command: shellOf(script) };
    },
    // The fake runs nothing: the script's output and exit are played through its test hooks.
    async finish(id, script) {
      for (const l of script.stdout ?? []) rt.appendLog(id, 'stdout', l);
      for (const l of script.stderr ?? []) rt.appendLog(id, 'stderr', l);
      if (script.exitCode !== undefined) rt.exitContainer(id, script.exitCode);
      return rt.containerStatus(id);
    },
    execCommand(script) {
      const cmd = shellOf(script);
      scripts.set(JSON.stringify(cmd), script);
      return cmd;
    },
    async serveHttp(sb, port, body) {
      rt.listen(sb.id, port, (conn) => {
        conn.once('data', () => conn.end(`HTTP/1.0 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`));
        conn.resume();
      });
    },
    async teardown() {},
  };
});

describeImageContract('runtime/fake', async () => {
  const rt = new FakeRuntime();
  const missing = '127.0.0.1:5000/contract/busybox:absent';
  // The fake pulls whatever it is asked for; a test names what its registry lacks.
  rt.pullErrors.set(missing, new RuntimeError('NotFound', `manifest unknown: ${missing}`));
  const pullable = '127.0.0.1:5000/contract/busybox:v1';
  return {
    images: rt,
    pullable,
    missing,
    // The fake sees an image in use the way the real runtime does: a container made from it.
    async useImage(id) {
      const config = { metadata: { name: 'user', namespace: 'default', uid: 'uid-user', attempt: 0 } };
      await rt.createContainer(await rt.runPodSandbox(config), { metadata: { name: 'c', attempt: 0 }, image: { image: id } }, config);
    },
    async teardown() {},
  };
});
