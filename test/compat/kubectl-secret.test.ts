// Secrets and ConfigMaps with the real kubectl 1.33 (and a 1.27 smoke) against a real skiff
// API server on a real etcd, run as its own process so its log can be read: create secret
// generic|docker-registry|tls and configmap --from-file, get (NAME TYPE DATA AGE), describe
// (sizes, never values), apply with stringData, edit, diff and apply --dry-run=server (which
// write nothing), and bad input refused with Kubernetes' messages without a value in them.
// No secret value ever appears in kubectl's errors or in the server's log.
import { execFile } from 'node:child_process';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveKubectl, KUBECTL, startKubectlCluster, type KubectlCluster } from './kubectl-harness.js';

if (!haveKubectl) console.warn(`kubectl not found at ${KUBECTL}: skipping the kubectl Secret suite (test/compat/kubectl-secret.test.ts)`);

const run = promisify(execFile);
const b64 = (s: string) => Buffer.from(s).toString('base64');

// Every value a test writes into a Secret: none may show up in an error or the server's log.
const VALUES = ['literal-hunter2', 'file-sesame-42', 'registry-pw-77', 'string-data-99', 'immutable-pw-1', 'not-base64-pw!', 'broken-json-pw'];

let cluster: KubectlCluster;

/** kubectl 1.33 itself: /usr/bin/kubectl would pick the server's minor version. */
const kubectl = (args: string[], opts: { version?: string; env?: NodeJS.ProcessEnv } = {}) => cluster.kubectl(args, { version: '1.33', ...opts });

async function ok(args: string[], opts: { version?: string; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  const r = await kubectl(args, opts);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

async function file(name: string, text: string): Promise<string> {
  const f = path.join(cluster.dir, name);
  await writeFile(f, text);
  return f;
}

/** A KUBE_EDITOR that rewrites the file it is given with one sed expression. */
async function sedEditor(name: string, expr: string): Promise<NodeJS.ProcessEnv> {
  const script = await file(name, `#!/bin/sh\nexec sed -i '${expr}' "$1"\n`);
  await chmod(script, 0o755);
  return { KUBE_EDITOR: script, TMPDIR: cluster.dir };
}

const rv = async (what: string) => ok(['get', what, '-o', 'jsonpath={.metadata.resourceVersion}']);

describe.skipIf(!haveKubectl)('kubectl and Secrets', () => {
  beforeAll(async () => {
    cluster = await startKubectlCluster({ process: { logLevel: 'debug' } });
  }, 60_000);

  afterAll(async () => {
    // The server's whole log, debug level included, holds none of the values.
    const log = cluster?.api.proc?.output() ?? '';
    await cluster?.stop();
    expect(log.length).toBeGreaterThan(0);
    for (const v of VALUES) {
      expect(log).not.toContain(v);
      expect(log).not.toContain(b64(v));
    }
  });

  it('create secret generic, docker-registry and tls, and configmap --from-file: all created', async () => {
    const f = await file('f.txt', 'file-sesame-42');
    expect(await ok(['create', 'secret', 'generic', 's', '--from-literal=a=literal-hunter2', `--from-file=f=${f}`])).toBe('secret/s created\n');
    expect(
      await ok(['create', 'secret', 'docker-registry', 'r', '--docker-server=registry.example:5000', '--docker-username=robot', '--docker-password=registry-pw-77']),
    ).toBe('secret/r created\n');
    const key = path.join(cluster.dir, 'tls.key');
    const crt = path.join(cluster.dir, 'tls.crt');
    await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=t.example', '-keyout', key, '-out', crt]);
    expect(await ok(['create', 'secret', 'tls', 't', `--cert=${crt}`, `--key=${key}`])).toBe('secret/t created\n');
    const conf = await file('app.properties', 'color=blue\nsize=3\n');
    expect(await ok(['create', 'configmap', 'c', `--from-file=${conf}`])).toBe('configmap/c created\n');
    expect(await ok(['get', 'cm', 'c', '-o', 'jsonpath={.data.app\\.properties}'])).toBe('color=blue\nsize=3\n');
  });

  it('get secrets prints NAME TYPE DATA AGE; jsonpath gives the base64 value', async () => {
    const table = (await ok(['get', 'secrets'])).split('\n');
    expect(table[0]).toMatch(/^NAME\s+TYPE\s+DATA\s+AGE\s*$/);
    expect(table.find((l) => l.startsWith('s '))).toMatch(/^s\s+Opaque\s+2\s+\d+s\s*$/);
    expect(table.find((l) => l.startsWith('r '))).toMatch(/^r\s+kubernetes\.io\/dockerconfigjson\s+1\s+\d+s\s*$/);
    expect(table.find((l) => l.startsWith('t '))).toMatch(/^t\s+kubernetes\.io\/tls\s+2\s+\d+s\s*$/);
    expect(await ok(['get', 'secret', 's', '-o', 'jsonpath={.data.a}'])).toBe(b64('literal-hunter2'));
  });

  it('describe secret shows sizes, never values', async () => {
    const out = await ok(['describe', 'secret', 's']);
    expect(out).toMatch(/^Type:\s+Opaque$/m);
    expect(out).toMatch(/^a:\s+15 bytes$/m);
    expect(out).toMatch(/^f:\s+14 bytes$/m);
    for (const v of ['literal-hunter2', 'file-sesame-42']) {
      expect(out).not.toContain(v);
      expect(out).not.toContain(b64(v));
    }
    const reg = await ok(['describe', 'secret', 'r']);
    expect(reg).toMatch(/^\.dockerconfigjson:\s+\d+ bytes$/m);
    expect(reg).not.toContain('registry-pw-77');
  });

  it('apply with stringData stores it in data and never stringData', async () => {
    const f = await file('sd.yaml', 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: sd\nstringData:\n  token: string-data-99\n');
    expect(await ok(['apply', '-f', f])).toBe('secret/sd created\n');
    const yaml = await ok(['get', 'secret', 'sd', '-o', 'yaml']);
    expect(yaml).toMatch(/^data:\n {2}token: /m);
    expect(yaml).toContain(`token: ${b64('string-data-99')}`);
    expect(yaml).not.toMatch(/^stringData:/m);
    expect(yaml).toMatch(/^type: Opaque$/m);
  });

  it('edit changes a ConfigMap; an immutable Secret refuses an edit of its data', async () => {
    expect(await ok(['create', 'configmap', 'ed', '--from-literal=k=v1'])).toBe('configmap/ed created\n');
    expect(await ok(['edit', 'cm', 'ed'], { env: await sedEditor('edit-cm.sh', 's/k: v1/k: v2/') })).toBe('configmap/ed edited\n');
    expect(await ok(['get', 'cm', 'ed', '-o', 'jsonpath={.data.k}'])).toBe('v2');

    const f = await file('imm.yaml', `apiVersion: v1\nkind: Secret\nmetadata:\n  name: imm\nimmutable: true\ndata:\n  pw: ${b64('immutable-pw-1')}\n`);
    expect(await ok(['create', '-f', f])).toBe('secret/imm created\n');
    const before = await rv('secret/imm');
    const refused = await kubectl(['edit', 'secret', 'imm'], { env: await sedEditor('edit-secret.sh', `s/pw: ${b64('immutable-pw-1')}/pw: ${b64('other')}/`) });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('secrets "imm" is invalid');
    expect(refused.stderr).not.toContain('immutable-pw-1');
    // kubectl puts the server's reasons at the top of the file it reopens, and keeps that copy.
    const copy = /stored to "([^"]+)"/.exec(refused.stderr)?.[1] ?? '';
    expect(await readFile(copy, 'utf8')).toContain('# * data: Forbidden: field is immutable when `immutable` is set');
    expect(await rv('secret/imm')).toBe(before);
    expect(await ok(['get', 'secret', 'imm', '-o', 'jsonpath={.data.pw}'])).toBe(b64('immutable-pw-1'));
  });

  it('diff and apply --dry-run=server write nothing, for a ConfigMap and a Secret', async () => {
    const cm = (v: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: dry\ndata:\n  k: ${v}\n`;
    const secret = (v: string) => `apiVersion: v1\nkind: Secret\nmetadata:\n  name: drys\nstringData:\n  k: ${v}\n`;
    expect(await ok(['apply', '-f', await file('dry.yaml', cm('old'))])).toBe('configmap/dry created\n');
    expect(await ok(['apply', '-f', await file('drys.yaml', secret('old'))])).toBe('secret/drys created\n');
    const [cmRv, sRv] = [await rv('cm/dry'), await rv('secret/drys')];

    await file('dry.yaml', cm('new'));
    await file('drys.yaml', secret('new'));
    // kubectl diff exits 1 when there are differences, and runs `diff -u -N`.
    const d = await kubectl(['diff', '-f', path.join(cluster.dir, 'dry.yaml')]);
    expect(d.code, d.stderr).toBe(1);
    expect(d.stdout).toMatch(/^-\s+k: old$/m);
    expect(d.stdout).toMatch(/^\+\s+k: new$/m);
    const ds = await kubectl(['diff', '-f', path.join(cluster.dir, 'drys.yaml')]);
    expect(ds.code, ds.stderr).toBe(1);
    // kubectl masks a Secret's data in a diff: a change shows as "*** (before)" / "*** (after)".
    expect(ds.stdout).toContain('*** (after)');
    expect(ds.stdout).not.toContain(b64('new'));

    expect(await ok(['apply', '--dry-run=server', '-f', path.join(cluster.dir, 'dry.yaml')])).toBe('configmap/dry configured (server dry run)\n');
    expect(await ok(['apply', '--dry-run=server', '-f', path.join(cluster.dir, 'drys.yaml')])).toBe('secret/drys configured (server dry run)\n');

    expect(await rv('cm/dry')).toBe(cmRv);
    expect(await rv('secret/drys')).toBe(sRv);
    expect(await ok(['get', 'cm', 'dry', '-o', 'jsonpath={.data.k}'])).toBe('old');
    expect(await ok(['get', 'secret', 'drys', '-o', 'jsonpath={.data.k}'])).toBe(b64('old'));
  });

  it('refuses bad Secrets and ConfigMaps with 422s and field paths, never echoing a value', async () => {
    const cases: { name: string; yaml: string; message: string }[] = [
      {
        name: 'nb64',
        yaml: 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: nb64\ndata:\n  pw: not-base64-pw!\n',
        // The schema's byte format refuses it as the body is decoded; the field path is the schema's.
        message: 'data.pw: Invalid value: illegal base64 data at input byte 3',
      },
      {
        name: 'badjson',
        yaml: `apiVersion: v1\nkind: Secret\nmetadata:\n  name: badjson\ntype: kubernetes.io/dockerconfigjson\ndata:\n  .dockerconfigjson: ${b64('{"auths":{"r":{"password":"broken-json-pw"')}\n`,
        message: 'data[.dockerconfigjson]: Invalid value: "<secret contents redacted>": unexpected end of JSON input',
      },
      {
        name: 'nokey',
        yaml: `apiVersion: v1\nkind: Secret\nmetadata:\n  name: nokey\ntype: kubernetes.io/tls\ndata:\n  tls.crt: ${b64('cert')}\n`,
        message: 'data[tls.key]: Required value',
      },
      {
        name: 'slash',
        yaml: `apiVersion: v1\nkind: Secret\nmetadata:\n  name: slash\ndata:\n  a/b: ${b64('x')}\n`,
        message: 'data[a/b]: Invalid value: "a/b": a valid config key must consist of alphanumeric characters',
      },
      {
        name: 'cmslash',
        yaml: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cmslash\ndata:\n  a/b: x\n',
        message: 'data[a/b]: Invalid value: "a/b": a valid config key must consist of alphanumeric characters',
      },
    ];
    for (const c of cases) {
      const r = await kubectl(['create', '-f', await file(`${c.name}.yaml`, c.yaml)]);
      expect(r.code, c.name).not.toBe(0);
      expect(r.stderr, c.name).toContain(`"${c.name}" is invalid`);
      expect(r.stderr, c.name).toContain(c.message);
      for (const v of VALUES) expect(r.stderr, c.name).not.toContain(v);
    }
    // The server still serves, and stored none of them.
    const names = await ok(['get', 'secrets,cm', '-o', 'jsonpath={.items[*].metadata.name}']);
    for (const c of cases) expect(names.split(' '), c.name).not.toContain(c.name);
  });

  it('kubectl 1.33 create namespace (a protobuf body too) works', async () => {
    expect(await ok(['create', 'namespace', 'made-by-133'])).toBe('namespace/made-by-133 created\n');
    expect(await ok(['create', 'secret', 'generic', 'in-ns', '-n', 'made-by-133', '--from-literal=k=literal-hunter2'])).toBe('secret/in-ns created\n');
  });

  it('kubectl 1.27: create secret generic, get and describe', async () => {
    const v = { version: '1.27' };
    expect(await ok(['create', 'secret', 'generic', 'old', '--from-literal=pw=literal-hunter2'], v)).toBe('secret/old created\n');
    expect((await ok(['get', 'secrets', 'old'], v)).split('\n')[0]).toMatch(/^NAME\s+TYPE\s+DATA\s+AGE\s*$/);
    const out = await ok(['describe', 'secret', 'old'], v);
    expect(out).toMatch(/^pw:\s+15 bytes$/m);
    expect(out).not.toContain('literal-hunter2');
  });
});
