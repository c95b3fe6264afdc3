import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultStateDir, recordStateDir, STATE_PARENT, stateDirFor } from './state-dir.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('the default runtime state dir', () => {
  it('is under /run/skiff, named for the root and a hash of its path', () => {
    const d = defaultStateDir('/var/lib/skiff/kubelet/runtime');
    expect(path.dirname(d)).toBe(STATE_PARENT);
    expect(path.basename(d)).toMatch(/^runtime-[0-9a-f]{12}$/);
    expect(defaultStateDir('/var/lib/skiff/kubelet/runtime')).toBe(d);
  });

  it('differs for two roots with the same last name, so two runtimes never share one', () => {
    expect(defaultStateDir('/var/lib/skiff/runtime')).not.toBe(defaultStateDir('/var/lib/skiff/kubelet/runtime'));
    expect(defaultStateDir('/srv/a/runtime')).not.toBe(defaultStateDir('/srv/b/runtime'));
  });

  it('is the same for a relative spelling and for a symlink to the root', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'skiff-state-name-'));
    dirs.push(tmp);
    const root = path.join(tmp, 'root');
    fs.mkdirSync(root);
    fs.symlinkSync(root, path.join(tmp, 'link'));
    expect(defaultStateDir(path.join(tmp, 'link'))).toBe(defaultStateDir(root));
    expect(defaultStateDir(path.relative(process.cwd(), root))).toBe(defaultStateDir(root));
  });

  it('keeps an odd root name to safe characters', () => {
    expect(path.basename(defaultStateDir('/tmp/a root:with\nodd chars'))).toMatch(/^a_root_with_odd_chars-[0-9a-f]{12}$/);
  });
});

describe('the state dir of a root', () => {
  it('is the one given, else the one the root was last opened with, else the default', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'skiff-state-for-'));
    dirs.push(root);
    expect(stateDirFor(root)).toBe(defaultStateDir(root));
    recordStateDir(root, '/run/custom/state');
    expect(stateDirFor(root)).toBe('/run/custom/state');
    expect(stateDirFor(root, 'relative/state')).toBe(path.resolve('relative/state'));
    expect((fs.statSync(path.join(root, 'state-dir')).mode & 0o777)).toBe(0o600);
  });
});
