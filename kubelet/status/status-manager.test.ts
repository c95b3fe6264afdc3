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
});
