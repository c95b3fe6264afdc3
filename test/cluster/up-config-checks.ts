// Issue 20's must-show against a running `skiff up`, all through the real kubectl 1.33: a
// ConfigMap and a Secret from literals and files reaching a pod as env, envFrom and configMap,
// secret, projected and downwardAPI volumes; a ConfigMap update reaching a running
// container's volume within 90 s under skiff up's default --sync-frequency (1m), never half
// written, without a restart; CreateContainerConfigError until a missing ConfigMap exists; no
// Secret on the node's disk, its volume a tmpfs, the node's token refused a Secret its pods do
// not name; image pull secrets against a registry that takes only htpasswd credentials on TLS.
//
// The update's wait (most of the time) runs beside the other checks, and each check logs how
// long it took from the start.
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'vitest';
import type { Pod } from '../../api/types/core.js';
import { eventually } from '../fixtures/eventually.js';
import { runKubectl, type KubectlOn } from '../fixtures/kubectl-stream-checks.js';

const exec = promisify(execFile);
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

export interface UpConfigCluster {
  stateDir: string;
  node: string;
  /** An image on the node with busybox's sh, sha256sum and stat (the demo's). */
  image: string;
  /** The private registry: an image in it, its host and the credentials it takes. */
  privateImage: string;
  privateHost: string;
  privateAuth: { username: string; password: string };
}

const NS = 'config-e2e';
/** How long a ConfigMap update may take to reach a volume with skiff up's defaults (sync 1m). */
export const UPDATE_BOUND_MS = 90_000;

export async function expectConfigMustShow(c: UpConfigCluster): Promise<void> {
  const started = Date.now();
  const note = (what: string) => console.log(`[up-config] ${((Date.now() - started) / 1000).toFixed(1)} s: ${what}`);
  const k: KubectlOn = { kubeconfig: path.join(c.stateDir, 'kubeconfig'), namespace: NS, version: '1.33' };
  const kubectl = async (args: string[], input?: string, on: KubectlOn = k): Promise<string> => {
    const r = await runKubectl(on, args, input);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: exit ${r.code}: ${r.stderr}`);
    return r.stdout.toString();
  };
  const podJson = async (name: string) => JSON.parse(await kubectl(['get', 'pod', name, '-o', 'json'])) as Pod;
  const statusColumn = async (name: string) => (await kubectl(['get', 'pod', name, '--no-headers'])).trim().split(/\s+/)[2];
  const running = (name: string, ms: number) =>
    eventually(async () => {
      const p = await podJson(name);
      return p.status?.containerStatuses?.[0]?.state?.running ? p : undefined;
    }, `pod ${name} running`, ms, { intervalMs: 1000 });
  const pod = (name: string, spec: Record<string, unknown>, labels: Record<string, string> = {}) =>
    JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: NS, labels: { app: name, ...labels } }, spec: { terminationGracePeriodSeconds: 1, ...spec } });

  const dir = await mkdtemp(path.join(os.tmpdir(), 'skiff-up-config-'));
  try {
    await kubectl(['create', 'namespace', NS]);
    // From literals and from files (kubectl 1.33 posts these as protobuf).
    const password = `pw-${randomBytes(12).toString('hex')}`;
    const token = `tok-${randomBytes(12).toString('hex')}`;
    await writeFile(path.join(dir, 'settings'), 'level=debug');
    await writeFile(path.join(dir, 'token'), token);
    await kubectl(['create', 'configmap', 'app-config', '--from-literal=mode=fast', `--from-file=settings=${path.join(dir, 'settings')}`]);
    await kubectl(['create', 'secret', 'generic', 'app-secret', `--from-literal=password=${password}`, `--from-file=token=${path.join(dir, 'token')}`]);
    await kubectl(['create', 'secret', 'generic', 'unnamed-secret', '--from-literal=x=not-for-this-node']);

    // The reader: a checksum written in the same update as the data it checks. It reads both
    // through the `..data` link resolved once per iteration, as one version: two reads through
    // the user-visible names may straddle the link's swap and see two versions, each whole. A
    // version whose directory went between two reads is skipped, never counted as a mismatch.
    const v1 = randomBytes(48 * 1024).toString('base64');
    const v2 = randomBytes(48 * 1024).toString('base64');
    const watched = async (data: string) => {
      await writeFile(path.join(dir, 'data'), data);
      await writeFile(path.join(dir, 'data.sha256'), sha256(data));
      return kubectl(['create', 'configmap', 'watched', `--from-file=data=${path.join(dir, 'data')}`, `--from-file=data.sha256=${path.join(dir, 'data.sha256')}`, '--dry-run=client', '-o', 'json']);
    };
    await kubectl(['create', '-f', '-'], await watched(v1));
    const loop = [
      'i=0',
      'while true; do',
      '  d=$(readlink /w/..data) || { sleep 0.05; continue; }',
      '  s=$(cat "/w/$d/data.sha256" 2>/dev/null) && a=$(sha256sum "/w/$d/data" 2>/dev/null) || { sleep 0.05; continue; }',
      '  a=${a%% *}',
      '  [ "$a" = "$s" ] || echo "MISMATCH $d $a $s"',
      '  i=$((i+1)); echo "$i $s" > /tmp/progress',
      '  sleep 0.05',
      'done',
    ].join('\n');
    await kubectl(['create', '-f', '-'], pod('reader', { volumes: [{ name: 'w', configMap: { name: 'watched' } }], containers: [{ name: 'app', image: c.image, command: ['sh', '-c', loop], volumeMounts: [{ name: 'w', mountPath: '/w' }] }] }));

    // The consumer: every way in. It prints the ConfigMap's and the downward API's values to its
    // log (on the node's disk, as container logs are); the Secret's are read with exec.
    const files = ['/cfg/mode', '/cfg/settings', '/proj/mode', '/proj/name', '/meta/labels', '/meta/namespace'];
    const print = `echo "MODE=$MODE POD=$POD CM_mode=$CM_mode CM_settings=$CM_settings"; for f in ${files.join(' ')}; do echo "$f=$(cat $f)"; done; echo printed; exec sleep 3600`;
    await kubectl(['create', '-f', '-'], pod('consumer', {
      volumes: [
        { name: 'cfg', configMap: { name: 'app-config' } },
        { name: 'sec', secret: { secretName: 'app-secret' } },
        { name: 'proj', projected: { sources: [
          { configMap: { name: 'app-config', items: [{ key: 'mode', path: 'mode' }] } },
          { secret: { name: 'app-secret', items: [{ key: 'password', path: 'password' }] } },
          { downwardAPI: { items: [{ path: 'name', fieldRef: { fieldPath: 'metadata.name' } }] } },
        ] } },
        { name: 'meta', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }, { path: 'namespace', fieldRef: { fieldPath: 'metadata.namespace' } }] } },
      ],
      containers: [{
        name: 'app',
        image: c.image,
        command: ['sh', '-c', print],
        env: [
          { name: 'MODE', valueFrom: { configMapKeyRef: { name: 'app-config', key: 'mode' } } },
          { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'app-secret', key: 'password' } } },
          { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        ],
        envFrom: [{ prefix: 'CM_', configMapRef: { name: 'app-config' } }, { prefix: 'S_', secretRef: { name: 'app-secret' } }],
        volumeMounts: ['cfg', 'sec', 'proj', 'meta'].map((n) => ({ name: n, mountPath: `/${n}` })),
      }],
    }, { tier: 'demo' }));
    // A pod whose ConfigMap does not exist yet.
    await kubectl(['create', '-f', '-'], pod('late', { containers: [{ name: 'app', image: c.image, command: ['sleep', '3600'], env: [{ name: 'K', valueFrom: { configMapKeyRef: { name: 'late-config', key: 'k' } } }] }] }));

    // The update, measured, beside everything below.
    const reader = await running('reader', 120_000);
    const readerId = reader.status?.containerStatuses?.[0]?.containerID;
    await eventually(async () => (await kubectl(['exec', 'reader', '--', 'cat', '/tmp/progress'])).split(' ')[1]?.trim() === sha256(v1), 'the reader checking v1', 30_000, { intervalMs: 500 });
    note('reader running on v1');
    await kubectl(['replace', '-f', '-'], await watched(v2));
    const updatedAt = Date.now();
    const update = (async () => {
      await eventually(async () => (await kubectl(['exec', 'reader', '--', 'cat', '/w/data.sha256'])).trim() === sha256(v2), 'the update in the volume', UPDATE_BOUND_MS + 30_000, { intervalMs: 1000 });
      const tookMs = Date.now() - updatedAt;
      note(`update reached the volume after ${(tookMs / 1000).toFixed(1)} s`);
      // Let the reader check the new version a while too.
      const seenAt = Number((await kubectl(['exec', 'reader', '--', 'cat', '/tmp/progress'])).split(' ')[0]);
      await eventually(async () => {
        const [i, s] = (await kubectl(['exec', 'reader', '--', 'cat', '/tmp/progress'])).trim().split(' ');
        return Number(i) >= seenAt + 50 && s === sha256(v2);
      }, 'the reader checking v2', 60_000, { intervalMs: 1000 });
      return tookMs;
    })();
    update.catch(() => undefined); // awaited below; not an unhandled rejection meanwhile

    // Every way in prints the right value.
    await running('consumer', 120_000);
    const printed = await eventually(async () => {
      const out = await kubectl(['logs', 'consumer']);
      return out.includes('printed') ? out : undefined;
    }, 'the consumer to print', 30_000, { intervalMs: 500 });
    expect(printed.trim().split('\n')).toEqual([
      'MODE=fast POD=consumer CM_mode=fast CM_settings=level=debug',
      '/cfg/mode=fast',
      '/cfg/settings=level=debug',
      '/proj/mode=fast',
      '/proj/name=consumer',
      '/meta/labels=app="consumer"\ntier="demo"',
      `/meta/namespace=${NS}`,
      'printed',
    ].join('\n').split('\n'));
    const secretOut = await kubectl(['exec', 'consumer', '--', 'sh', '-c', 'echo "PASSWORD=$PASSWORD S_password=$S_password S_token=$S_token"; for f in /sec/password /sec/token /proj/password; do echo "$f=$(cat $f)"; done']);
    expect(secretOut.trim().split('\n')).toEqual([`PASSWORD=${password} S_password=${password} S_token=${token}`, `/sec/password=${password}`, `/sec/token=${token}`, `/proj/password=${password}`]);
    note('consumer has every value');

    // The Secret's volumes are tmpfs, inside the container and on the node.
    for (const v of ['/sec', '/proj']) expect((await kubectl(['exec', 'consumer', '--', 'stat', '-f', '-c', '%T', v])).trim(), v).toBe('tmpfs');
    expect((await kubectl(['exec', 'consumer', '--', 'stat', '-f', '-c', '%T', '/cfg'])).trim()).not.toBe('tmpfs');
    const uid = (await podJson('consumer')).metadata.uid ?? '';
    const mounts = (await readFile('/proc/mounts', 'utf8')).split('\n').map((l) => l.split(' '));
    const volumes = path.join(c.stateDir, 'kubelet', 'pods', uid, 'volumes');
    for (const host of [path.join(volumes, 'kubernetes.io~secret', 'sec'), path.join(volumes, 'kubernetes.io~projected', 'proj')]) {
      expect(mounts.find((m) => m[1] === host)?.[2], host).toBe('tmpfs');
    }

    // The node's token: the Secrets its pods name, and no other.
    const asNode: KubectlOn = { ...k, kubeconfig: path.join(c.stateDir, 'kubeconfigs', `kubelet-${c.node}.kubeconfig`) };
    expect(await kubectl(['get', 'secret', 'app-secret', '-o', 'name'], undefined, asNode)).toBe('secret/app-secret\n');
    const refused = await runKubectl(asNode, ['get', 'secret', 'unnamed-secret']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/\(Forbidden\).*no relationship found between node '.+' and this object/);
    note('the node reads only the Secrets its pods name');

    // Image pull secrets: a real dockerconfigjson Secret, made by kubectl.
    await kubectl(['create', 'secret', 'docker-registry', 'regcred', `--docker-server=${c.privateHost}`, `--docker-username=${c.privateAuth.username}`, `--docker-password=${c.privateAuth.password}`]);
    const privatePod = (name: string, secrets: string[]) =>
      pod(name, { ...(secrets.length ? { imagePullSecrets: secrets.map((n) => ({ name: n })) } : {}), containers: [{ name: 'app', image: c.privateImage, imagePullPolicy: 'Always' }] });
    await kubectl(['create', '-f', '-'], privatePod('private', ['regcred']));
    await kubectl(['create', '-f', '-'], privatePod('private-nosecret', []));
    const denied = await eventually(async () => {
      const w = (await podJson('private-nosecret')).status?.containerStatuses?.[0]?.state?.waiting;
      return w?.reason === 'ErrImagePull' ? w : undefined;
    }, 'ErrImagePull without the secret', 60_000, { intervalMs: 250 });
    expect(denied.message).toMatch(new RegExp(`${c.privateHost.replace(/\./g, '\\.')} answered 401 Unauthorized`));
    expect(['ErrImagePull', 'ImagePullBackOff']).toContain(await statusColumn('private-nosecret'));
    const pulled = await running('private', 60_000);
    expect(pulled.status?.containerStatuses?.[0]?.imageID).toMatch(/sha256:/);
    note('pulled with the pull secret, 401 without');

    // No Secret's bytes on the node's disk: the whole state dir (etcd's data, logs, the
    // kubelet's root with the runtime root in it), tmpfs mounts (the runtime's state, Secret
    // volumes) skipped by -xdev. The state dir here is on a disk, not a tmpfs.
    const grep = async (value: string) =>
      (await exec('sh', ['-c', 'find "$1" -xdev -type f -exec grep -lF -e "$2" {} + || true', 'sh', c.stateDir, value], { maxBuffer: 1 << 20 })).stdout.trim();
    expect(await exec('stat', ['-f', '-c', '%T', c.stateDir]).then((r) => r.stdout.trim())).not.toBe('tmpfs');
    for (const value of [password, token, c.privateAuth.password]) expect(await grep(value), value).toBe('');
    // (The probe works: a ConfigMap value is on the disk, in the configMap volume.)
    expect(await grep('level=debug')).toContain(path.join(volumes, 'kubernetes.io~configmap', 'cfg'));
    note('no Secret on the node\'s disk');

    // CreateContainerConfigError until its ConfigMap exists, then Running.
    await eventually(async () => (await statusColumn('late')) === 'CreateContainerConfigError', 'late in CreateContainerConfigError', 60_000, { intervalMs: 500 });
    await kubectl(['create', 'configmap', 'late-config', '--from-literal=k=v']);
    const lateAt = Date.now();
    await running('late', 150_000);
    expect(await statusColumn('late')).toBe('Running');
    note(`late running ${((Date.now() - lateAt) / 1000).toFixed(1)} s after its ConfigMap`);

    // The update: within the bound, no half-written state seen, the same container throughout.
    const tookMs = await update;
    expect(tookMs).toBeLessThanOrEqual(UPDATE_BOUND_MS);
    const after = await podJson('reader');
    expect(after.status?.containerStatuses?.[0]?.restartCount).toBe(0);
    expect(after.status?.containerStatuses?.[0]?.containerID).toBe(readerId);
    const iterations = Number((await kubectl(['exec', 'reader', '--', 'cat', '/tmp/progress'])).split(' ')[0]);
    expect(iterations).toBeGreaterThanOrEqual(100);
    expect(await kubectl(['logs', 'reader'])).not.toContain('MISMATCH');
    note(`update checked: ${iterations} iterations, no mismatch`);
  } finally {
    await runKubectl(k, ['delete', 'pods', '--all', '--grace-period=1', '--wait=false']).catch(() => undefined);
    await runKubectl(k, ['delete', 'namespace', NS, '--wait=false']).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}
