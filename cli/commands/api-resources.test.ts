import { describe, expect, it } from 'vitest';
import { apiResourcesTable } from './api-resources.js';

describe('apiResourcesTable', () => {
  it('lists every served kind with its short names and group version', () => {
    const lines = apiResourcesTable().trim().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+SHORTNAMES\s+APIVERSION\s+NAMESPACED\s+KIND$/);
    expect(lines).toContainEqual(expect.stringMatching(/^pods\s+po\s+v1\s+true\s+Pod$/));
    expect(lines).toContainEqual(expect.stringMatching(/^leases\s+coordination\.k8s\.io\/v1\s+true\s+Lease$/));
    expect(lines).toContainEqual(expect.stringMatching(/^nodes\s+no\s+v1\s+false\s+Node$/));
    // The core kind before metrics.k8s.io's resource of the same name, as kubectl lists them.
    expect(lines.filter((l) => l.startsWith('nodes '))).toEqual([expect.stringMatching(/^nodes\s+no\s+v1\s+false\s+Node$/), expect.stringMatching(/^nodes\s+metrics\.k8s\.io\/v1beta1\s+false\s+NodeMetrics$/)]);
  });
});
