import { describe, expect, it } from 'vitest';
import { statusPatch } from './api-adapters.js';

describe('statusPatch', () => {
  it('sends what is set and nulls what the kubelet no longer sets, with the uid as a precondition', () => {
    const patch = statusPatch('uid-1', { phase: 'Running', podIP: '10.88.0.2', containerStatuses: [] });
    expect(patch.metadata).toEqual({ uid: 'uid-1' });
    expect(patch.status).toMatchObject({ phase: 'Running', podIP: '10.88.0.2', containerStatuses: [], reason: null, message: null, initContainerStatuses: null });
  });
});
