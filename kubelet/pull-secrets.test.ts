import { describe, expect, it } from 'vitest';
import { podPullSecrets, type GetSecret, type PullSecretObject } from './pull-secrets.js';
import { makePod } from './testing/builders.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const dockerConfig = { auths: { 'reg.example.com': { auth: b64('u:p') } } };

const secrets: Record<string, PullSecretObject> = {
  'default/regcred': { type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': b64(JSON.stringify(dockerConfig)) } },
  'default/legacy': { type: 'kubernetes.io/dockercfg', data: { '.dockercfg': b64(JSON.stringify(dockerConfig.auths)) } },
  'default/opaque': { type: 'Opaque', data: { '.dockerconfigjson': b64('{}') } },
  'default/empty': { type: 'kubernetes.io/dockerconfigjson', data: {} },
  'default/garbled': { type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': b64('{ not json') } },
  'other/regcred': { type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': b64('{"auths":{}}') } },
};
const getSecret: GetSecret = async (ns, name) => {
  if (name === 'forbidden') throw new Error('secrets "forbidden" is forbidden');
  return secrets[`${ns}/${name}`];
};

describe('podPullSecrets', () => {
  it("reads the pod's dockerconfigjson (and dockercfg) secrets from its namespace, in the pod's order", async () => {
    const pod = makePod({ imagePullSecrets: [{ name: 'legacy' }, { name: 'regcred' }] });
    expect(await podPullSecrets(pod, getSecret)).toEqual({
      payloads: [
        { secret: 'legacy', dockerConfig: dockerConfig.auths },
        { secret: 'regcred', dockerConfig },
      ],
      missing: [],
    });
  });

  it('names the secrets that give nothing, and why, never their contents', async () => {
    const pod = makePod({ imagePullSecrets: [{ name: 'nothere' }, { name: 'opaque' }, { name: 'empty' }, { name: 'garbled' }, { name: 'forbidden' }, {}, { name: 'regcred' }] });
    const got = await podPullSecrets(pod, getSecret);
    expect(got.payloads.map((p) => p.secret)).toEqual(['regcred']);
    expect(got.missing).toEqual([
      'nothere',
      'opaque (type Opaque, not kubernetes.io/dockerconfigjson)',
      'empty (no .dockerconfigjson)',
      'garbled (.dockerconfigjson is not JSON)',
      'forbidden (secrets "forbidden" is forbidden)',
    ]);
  });

  it('a pod without pull secrets reads none', async () => {
    expect(await podPullSecrets(makePod(), async () => {
      throw new Error('not asked');
    })).toEqual({ payloads: [], missing: [] });
  });
});
