import { describe, expect, it } from 'vitest';
import { formatPrune, humanAgo, imageRows, splitTag } from './image-format.js';

describe('docker-style image figures', () => {
  it('says how long ago', () => {
    const now = Date.parse('2026-01-10T12:00:00Z');
    expect(humanAgo('2026-01-10T11:59:30Z', now)).toBe('Less than a minute ago');
    expect(humanAgo('2026-01-10T11:00:00Z', now)).toBe('An hour ago');
    expect(humanAgo('2026-01-10T09:00:00Z', now)).toBe('3 hours ago');
    expect(humanAgo('2026-01-01T12:00:00Z', now)).toBe('A week ago');
    expect(humanAgo(undefined, now)).toBe('N/A');
  });

  it('splits references into repository and tag, familiar names for Docker Hub', () => {
    expect(splitTag('docker.io/library/busybox:latest')).toEqual({ repository: 'busybox', tag: 'latest' });
    expect(splitTag('127.0.0.1:5000/app:v1')).toEqual({ repository: '127.0.0.1:5000/app', tag: 'v1' });
    expect(splitTag('127.0.0.1:5000/app')).toEqual({ repository: '127.0.0.1:5000/app' });
    expect(splitTag(`docker.io/me/app@sha256:${'a'.repeat(64)}`)).toEqual({ repository: 'me/app' });
  });

  it('makes a row per tag and one <none> row for an untagged image', () => {
    const now = Date.parse('2026-01-10T12:00:00Z');
    const rows = imageRows(
      [
        { id: `sha256:${'1'.repeat(64)}`, repoTags: ['docker.io/library/busybox:1', 'docker.io/library/busybox:latest'], repoDigests: [], size: 2_000_000, created: '2026-01-10T10:00:00Z' },
        { id: `sha256:${'2'.repeat(64)}`, repoTags: [], repoDigests: [`127.0.0.1:5000/old@sha256:${'f'.repeat(64)}`], size: 500 },
      ],
      now,
    );
    expect(rows).toEqual([
      ['busybox', '1', '111111111111', '2 hours ago', '2MB'],
      ['busybox', 'latest', '111111111111', '2 hours ago', '2MB'],
      ['127.0.0.1:5000/old', '<none>', '222222222222', 'N/A', '500B'],
    ]);
  });

  it('reports a prune as docker does', () => {
    expect(formatPrune({ imagesDeleted: ['sha256:ab'], spaceReclaimed: 12_300_000 })).toBe('Deleted Images:\ndeleted: sha256:ab\n\nTotal reclaimed space: 12.3MB\n');
    expect(formatPrune({ imagesDeleted: [], spaceReclaimed: 0 })).toBe('Total reclaimed space: 0B\n');
  });
});
