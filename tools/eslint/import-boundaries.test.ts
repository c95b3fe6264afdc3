import { describe, expect, it } from 'vitest';
import { Linter } from 'eslint';
import tseslint from 'typescript-eslint';
import path from 'node:path';
import rule from './import-boundaries.js';

const root = path.resolve(import.meta.dirname, '../..');

function lint(file: string, code: string): string[] {
  const linter = new Linter({ configType: 'flat', cwd: root });
  const messages = linter.verify(
    code,
    [
      {
        files: ['**/*.ts'],
        languageOptions: { parser: tseslint.parser as Linter.Parser },
        plugins: { skiff: { rules: { 'import-boundaries': rule } } },
        rules: { 'skiff/import-boundaries': ['error', { root }] },
      },
    ],
    path.join(root, file),
  );
  return messages.map((m) => m.message);
}

describe('import-boundaries lint rule', () => {
  it('lets a folder import what docs/architecture.md allows', () => {
    expect(lint('scheduler/x.ts', "import { a } from '../client/b.js';")).toEqual([]);
    expect(lint('kubelet/x.ts', "import type { RuntimeService } from '../runtime/cri.js';")).toEqual([]);
    expect(lint('cmd/skiff.ts', "import { x } from '../cluster/up.js';")).toEqual([]);
    expect(lint('kubelet/x.test.ts', "import { FakeRuntime } from '../runtime/fake/runtime.js';")).toEqual([]);
  });

  it('refuses an import across a boundary', () => {
    expect(lint('api/x.ts', "import { c } from '../client/c.js';")).toEqual([
      "'api/' may not import from 'client/' (see docs/architecture.md: who may import whom)",
    ]);
    expect(lint('apiserver/storage/x.ts', "export * from '../../scheduler/y.js';")).toHaveLength(1);
    expect(lint('runtime/x.ts', "const m = await import('../kubelet/k.js');")).toHaveLength(1);
  });

  it('keeps the kubelet on the CRI interfaces and test/ private', () => {
    expect(lint('kubelet/x.ts', "import { unpack } from '../runtime/images/unpack.js';")[0]).toMatch(/only through runtime\/cri.ts/);
    expect(lint('kubelet/x.ts', "import { FakeRuntime } from '../runtime/fake/runtime.js';")).toHaveLength(1);
    expect(lint('apiserver/x.ts', "import { startEtcd } from '../test/fixtures/etcd.js';")[0]).toMatch(/test\//);
  });

  it('gives a nested row (cli/node/) its own imports, closed to its parent', () => {
    expect(lint('cli/node/x.ts', "import { ImageService } from '../../runtime/image-service.js';")).toEqual([]);
    expect(lint('cli/node/x.ts', "import { age } from '../printers/age.js';")).toEqual([]);
    expect(lint('cmd/cri.ts', "import { registerCriContainers } from '../cli/node/cri-containers.js';")).toEqual([]);
    expect(lint('cli/commands/x.ts', "import { ImageService } from '../../runtime/image-service.js';")).toHaveLength(1);
    expect(lint('cli/commands/x.ts', "import { openCriRuntime } from '../node/cri-containers.js';")).toEqual([
      "'cli/' may not import from 'cli/node/' (see docs/architecture.md: who may import whom)",
    ]);
    expect(lint('cli/node/x.ts', "import { statePaths } from '../../cluster/state.js';")).toHaveLength(1);
  });
});
