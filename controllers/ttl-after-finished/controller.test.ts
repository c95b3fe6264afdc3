import { describe, expect, it } from 'vitest';
import type { Job } from '../../api/types/batch.js';
import { jobFinishedAt, msUntilExpiry } from './controller.js';

const AT = '2026-01-01T00:00:00.000Z';
const job = (ttl: number | undefined, finished?: 'Complete' | 'Failed', deleting = false): Job => ({
  metadata: { name: 'j', ...(deleting ? { deletionTimestamp: AT } : {}) },
  spec: { ttlSecondsAfterFinished: ttl, template: { spec: { containers: [] } } },
  status: finished ? { conditions: [{ type: finished, status: 'True', lastTransitionTime: AT }] } : {},
});

describe('ttl-after-finished expiry', () => {
  it('counts from the Complete or Failed transition; nothing while running, without a TTL, or already deleting', () => {
    const t = Date.parse(AT);
    expect(jobFinishedAt(job(10, 'Complete'))).toBe(t);
    expect(msUntilExpiry(job(10, 'Complete'), t + 4_000)).toBe(6_000);
    expect(msUntilExpiry(job(10, 'Failed'), t + 11_000)).toBe(0);
    expect(msUntilExpiry(job(0, 'Complete'), t)).toBe(0);
    expect(msUntilExpiry(job(10), t)).toBeUndefined();
    expect(msUntilExpiry(job(undefined, 'Complete'), t)).toBeUndefined();
    expect(msUntilExpiry(job(10, 'Complete', true), t + 20_000)).toBeUndefined();
  });
});
