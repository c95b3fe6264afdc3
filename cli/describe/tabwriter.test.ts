import { describe, expect, it } from 'vitest';
import { alignTabs } from './tabwriter.js';

describe('alignTabs', () => {
  it('aligns a block of consecutive lines, and starts again after a line without the column', () => {
    expect(alignTabs('Name:\tkuard\nNamespace:\tdefault\nContainers:\n  c:\n    Image:\tbusybox\n    Restart Count:\t0\n')).toBe(
      'Name:       kuard\nNamespace:  default\nContainers:\n  c:\n    Image:          busybox\n    Restart Count:  0\n',
    );
  });

  it('aligns nested columns within their own blocks, as a table', () => {
    expect(alignTabs('  Type\tReason\tAge\n  ----\t------\t---\n  Normal\tScheduled\t5s\n')).toBe(
      '  Type    Reason     Age\n  ----    ------     ---\n  Normal  Scheduled  5s\n',
    );
  });

  it('lets a continuation line (empty first cell) share the block', () => {
    expect(alignTabs('Labels:\ta=b\n\tc=d\nQoS Class:\tBestEffort\n')).toBe('Labels:     a=b\n            c=d\nQoS Class:  BestEffort\n');
  });
});
