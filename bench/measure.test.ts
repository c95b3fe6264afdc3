import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runDetached, spawnPath } from './measure.js';

const companionBuilt = existsSync(path.join(import.meta.dirname, '../dist/bin/skiff-spawn'));

describe('runDetached (the bare runtime anchor starts its command as skiff starts conmon)', () => {
  const saved = process.env.SKIFF_SPAWN_HELPER;
  afterEach(() => {
    if (saved === undefined) delete process.env.SKIFF_SPAWN_HELPER;
    else process.env.SKIFF_SPAWN_HELPER = saved;
  });

  it.skipIf(!companionBuilt)('goes through the spawn companion when it is built, and reports the exit code', async () => {
    delete process.env.SKIFF_SPAWN_HELPER;
    expect(spawnPath()).toMatch(/spawn companion/);
    await expect(runDetached('true', [])).resolves.toBeUndefined();
    await expect(runDetached('false', [])).rejects.toThrow(/false : exit 1/);
  });

  it('starts directly from this process with SKIFF_SPAWN_HELPER=0, as the runtime then does', async () => {
    process.env.SKIFF_SPAWN_HELPER = '0';
    expect(spawnPath()).toMatch(/child_process on both sides/);
    await expect(runDetached('true', [])).resolves.toBeUndefined();
    await expect(runDetached('sh', ['-c', 'exit 3'])).rejects.toThrow(/exit 3/);
  });
});
