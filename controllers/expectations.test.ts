import { describe, expect, it } from 'vitest';
import { ControllerExpectations, EXPECTATIONS_TTL_MS } from './expectations.js';

describe('ControllerExpectations', () => {
  it('a key with no expectation is satisfied; one expecting creations is once each add is seen', () => {
    const e = new ControllerExpectations();
    expect(e.satisfied('ns/rs')).toBe(true);
    e.expectCreations('ns/rs', 3);
    expect(e.satisfied('ns/rs')).toBe(false);
    e.creationObserved('ns/rs');
    e.creationObserved('ns/rs');
    expect(e.pending('ns/rs')).toEqual({ add: 1, del: 0 });
    expect(e.satisfied('ns/rs')).toBe(false);
    e.creationObserved('ns/rs');
    expect(e.satisfied('ns/rs')).toBe(true);
    // Adds of another key, or more than expected, change nothing for it.
    e.creationObserved('ns/other');
    expect(e.satisfied('ns/other')).toBe(true);
  });

  it('deletions are tracked by pod key: each counted once, other pods not at all', () => {
    const e = new ControllerExpectations();
    e.expectDeletions('ns/rs', ['ns/a', 'ns/b']);
    e.deletionObserved('ns/rs', 'ns/c');
    e.deletionObserved('ns/rs', 'ns/a');
    // Seen twice (deletionTimestamp, then the removal): still one.
    e.deletionObserved('ns/rs', 'ns/a');
    expect(e.pending('ns/rs')).toEqual({ add: 0, del: 1 });
    expect(e.satisfied('ns/rs')).toBe(false);
    e.deletionObserved('ns/rs', 'ns/b');
    expect(e.satisfied('ns/rs')).toBe(true);
  });

  it('an expectation older than its TTL is satisfied, and delete forgets the key', () => {
    let now = 1_000;
    const e = new ControllerExpectations({ now: () => now });
    e.expectCreations('ns/rs', 2);
    now += EXPECTATIONS_TTL_MS;
    expect(e.satisfied('ns/rs')).toBe(false);
    now += 1;
    expect(e.satisfied('ns/rs')).toBe(true);
    e.expectCreations('ns/rs', 1);
    expect(e.satisfied('ns/rs')).toBe(false);
    e.delete('ns/rs');
    expect(e.satisfied('ns/rs')).toBe(true);
    expect(e.pending('ns/rs')).toBeUndefined();
  });
});
