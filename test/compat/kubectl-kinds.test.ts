// The installed kubectl against every kind skiff declares (api/kinds/), read from the
// declarations and not from a list here: `kubectl api-resources` shows each with its short
// names, `kubectl get <plural>` prints the kind's declared columns (wide adds the rest),
// and `kubectl explain <kind>` reads its OpenAPI.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KINDS } from '../../api/kinds/index.js';
import { apiVersionOf, resourcePath } from '../../api/resources.js';
import { baseObject } from '../fuzz/schema-gen.js';
import { haveKubectl, KUBECTL, startKubectlCluster, type KubectlCluster } from './kubectl-harness.js';

if (!haveKubectl) console.warn(`kubectl not found at ${KUBECTL}: skipping the kubectl kinds suite (test/compat/kubectl-kinds.test.ts)`);

let cluster: KubectlCluster;

async function ok(...args: string[]): Promise<string> {
  const r = await cluster.kubectl(args);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

const header = (out: string): string[] => (out.split('\n')[0] ?? '').trim().split(/\s{2,}/);

describe.skipIf(!haveKubectl)('kubectl and every declared kind', () => {
  beforeAll(async () => {
    cluster = await startKubectlCluster();
    // One object of each kind, so get prints a table rather than "No resources found".
    for (const k of KINDS) {
      const r = k.resource;
      const obj = baseObject(r, `kinds-${r.singular}`, 'default');
      await cluster.admin.request({ method: 'POST', path: resourcePath(r, { namespace: 'default' }), body: obj });
    }
  }, 60_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  it.each(KINDS.map((k) => [k.resource.kind, k] as const))('%s: api-resources, get (plain and wide) and explain', async (kind, k) => {
    const r = k.resource;
    const row = (await ok('api-resources', '--no-headers')).split('\n').find((l) => l.split(/\s+/)[0] === r.plural);
    expect(row?.split(/\s+/), kind).toEqual([r.plural, ...(r.shortNames.length ? [r.shortNames.join(',')] : []), apiVersionOf(r), String(r.namespaced), kind]);
    const ns = r.namespaced ? ['-n', 'default'] : [];
    const plain = await ok('get', r.plural, ...ns);
    expect(header(plain), kind).toEqual(k.columns.filter((c) => c.priority === 0).map((c) => c.name.toUpperCase()));
    const wide = await ok('get', r.plural, ...ns, '-o', 'wide');
    expect(header(wide), kind).toEqual(k.columns.map((c) => c.name.toUpperCase()));
    // (An event's name is a wide column.)
    expect(wide, kind).toContain(`kinds-${r.singular}`);
    expect(await ok('explain', r.plural), kind).toMatch(new RegExp(`^KIND:\\s+${kind}$`, 'm'));
  });
});
