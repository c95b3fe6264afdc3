import { describe, expect, it } from 'vitest';
import type { PodStatus } from '../../api/types/core.js';
import { makePod } from '../testing/builders.js';
import { StatusManager, type PodStatusWriter } from './status-manager.js';

class RecordingWriter implements PodStatusWriter {
  writes: { name: string; status: PodStatus }[] = [];
  fail = false;
  async writeStatus(_ns: string, name: string, _uid: string, status: PodStatus): Promise<void> {
    await Promise.resolve();
    if (this.fail) throw new Error('apiserver down');
    this.writes.push({ name, status });
  }
}

const running: PodStatus = { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: 't1', lastProbeTime: null }] };

describe('StatusManager', () => {
  it('writes a status once and skips identical ones', async () => {
    const w = new RecordingWriter();
    const m = new StatusManager({ writer: w });
    const pod = makePod();
    await m.setPodStatus(pod, running);
    await m.setPodStatus(pod, structuredClone(running));
    expect(w.writes).toHaveLength(1);
    await m.setPodStatus(pod, { ...running, phase: 'Failed' });
    expect(w.writes.map((x) => x.status.phase)).toEqual(['Running', 'Failed']);
  });

  it('does not rewrite what the API server already has (seed)', async () => {
    const w = new RecordingWriter();
    const m = new StatusManager({ writer: w });
    const pod = { ...makePod(), status: running };
    m.seed(pod);
    await m.setPodStatus(pod, structuredClone(running));
    expect(w.writes).toHaveLength(0);
  });

  it('retries after a failed write and reports the error', async () => {
    const w = new RecordingWriter();
    const errors: unknown[] = [];
    const m = new StatusManager({ writer: w, onError: (_p, e) => errors.push(e) });
    const pod = makePod();
    w.fail = true;
    await m.setPodStatus(pod, running);
    expect(errors).toHaveLength(1);
    w.fail = false;
    await m.setPodStatus(pod, running);
    expect(w.writes).toHaveLength(1);
  });

  it('concurrent sets write in order and end with the newest', async () => {
    const w = new RecordingWriter();
    const m = new StatusManager({ writer: w });
    const pod = makePod();
    await Promise.all([m.setPodStatus(pod, { phase: 'Pending' }), m.setPodStatus(pod, { phase: 'Running' }), m.setPodStatus(pod, { phase: 'Succeeded' })]);
    expect(w.writes.at(-1)?.status.phase).toBe('Succeeded');
    expect(m.get(pod.metadata.uid ?? '')?.phase).toBe('Succeeded');
  });

  it("a hanging write for one pod never holds up another pod's write; the newest status wins", async () => {
    const writes: { name: string; phase?: string }[] = [];
    let release = (): void => undefined;
    const m = new StatusManager({
      writer: {
        async writeStatus(_ns, name, _uid, status) {
          if (name === 'a' && writes.every((w) => w.name !== 'a')) await new Promise<void>((r) => (release = r));
          writes.push({ name, phase: status.phase });
        },
      },
    });
    const a = makePod({}, 'a');
    const b = makePod({}, 'b');
    const aWritten = m.setPodStatus(a, { phase: 'Pending' });
    void m.setPodStatus(a, { phase: 'Running' });
    void m.setPodStatus(a, { phase: 'Succeeded' });
    await m.setPodStatus(b, { phase: 'Running' });
    expect(writes).toEqual([{ name: 'b', phase: 'Running' }]);
    release();
    await aWritten;
    await m.flush(a.metadata.uid ?? '');
    // Pending was on the wire already; of the two set meanwhile only the newest is written.
    expect(writes.filter((w) => w.name === 'a').map((w) => w.phase)).toEqual(['Pending', 'Succeeded']);
  });

  it('retries a failed write with backoff without a new set, and forget abandons it', async () => {
    const w = new RecordingWriter();
    const m = new StatusManager({ writer: w, retryBaseMs: 5 });
    const pod = makePod();
    w.fail = true;
    await m.setPodStatus(pod, running);
    w.fail = false;
    await new Promise((r) => setTimeout(r, 50));
    expect(w.writes).toHaveLength(1);

    const other = makePod({}, 'other');
    w.fail = true;
    await m.setPodStatus(other, running);
    m.forget(other.metadata.uid ?? '');
    w.fail = false;
    await new Promise((r) => setTimeout(r, 50));
    expect(w.writes.map((x) => x.name)).toEqual([pod.metadata.name]);
    expect(m.get(other.metadata.uid ?? '')).toBeUndefined();
  });
});
