import path from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { cleanupOnExit } from './cri-runs.js';

const env = { logger: () => pino({ level: 'silent' }), dockerConfigs: () => [], selfCommand: () => ['/usr/bin/node', '/opt/skiff/dist/cmd/skiff.js', 'cri'] };

describe("conmon's exit command for a detached run", () => {
  it('runs the cleanup verb through the same program, with this invocation\'s root and options made absolute', () => {
    const monitor = cleanupOnExit({ root: 'state/rt', registryConfig: 'registries.yaml', runtime: 'runc' }, env);
    expect(monitor.exitCommand?.('abc')).toEqual([
      '/usr/bin/node', '/opt/skiff/dist/cmd/skiff.js', 'cri',
      '--root', path.resolve('state/rt'), '--registry-config', path.resolve('registries.yaml'), '--runtime', 'runc',
      'cleanup', 'abc',
    ]);
  });
  it('passes only the options given', () => {
    expect(cleanupOnExit({ root: '/var/lib/skiff/runtime' }, env).exitCommand?.('abc')).toEqual(['/usr/bin/node', '/opt/skiff/dist/cmd/skiff.js', 'cri', '--root', '/var/lib/skiff/runtime', 'cleanup', 'abc']);
  });
});
