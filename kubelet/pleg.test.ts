import { describe, expect, it } from 'vitest';
import { LABEL_POD_UID } from './labels.js';
import { Pleg } from './pleg.js';
import { FakeRuntime } from '../runtime/fake/fake-runtime.js';

async function podWithContainer(rt: FakeRuntime, uid: string): Promise<string> {
  const meta = { name: uid, uid, namespace: 'default', attempt: 0 };
  const sb = await rt.runPodSandbox({ metadata: meta, labels: { [LABEL_POD_UID]: uid } });
  const id = await rt.createContainer(sb, { metadata: { name: 'app', attempt: 0 }, image: { image: 'x' }, labels: { [LABEL_POD_UID]: uid } }, { metadata: meta });
  await rt.startContainer(id);
  return id;
}

describe('Pleg', () => {
  it('reports the pods whose containers changed since the last relist', async () => {
    const rt = new FakeRuntime();
    rt.addImage('x');
    const pleg = new Pleg(rt);
    const heard: string[] = [];
    pleg.onPodChanged((uid) => heard.push(uid));
    const a = await podWithContainer(rt, 'a');
    await podWithContainer(rt, 'b');
    expect((await pleg.relist()).sort()).toEqual(['a', 'b']);
    expect(await pleg.relist()).toEqual([]);
    rt.exitContainer(a, 1);
    expect(await pleg.relist()).toEqual(['a']);
    await rt.removeContainer(a);
    expect(await pleg.relist()).toEqual(['a']);
    expect(heard.sort()).toEqual(['a', 'a', 'a', 'b']);
  });
});
