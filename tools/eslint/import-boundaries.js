// ESLint rule: the import boundaries between skiff's top-level folders (docs/architecture.md,
// "Layout and who may import whom"). A relative import is resolved against the importing
// file and its top-level folder is checked against the allow-list of the importer's folder.
import path from 'node:path';

const ALL = ['api', 'client', 'apiserver', 'scheduler', 'controllers', 'kubelet', 'runtime', 'imagebuild', 'cli', 'cluster', 'cmd'];

/** folder -> folders it may import (its own folder is always allowed) */
export const ALLOWED = {
  api: [],
  client: ['api'],
  apiserver: ['api'],
  scheduler: ['api', 'client'],
  controllers: ['api', 'client'],
  kubelet: ['api', 'client', 'runtime'],
  runtime: ['api'],
  imagebuild: ['api', 'runtime'],
  cli: ['api', 'client'],
  cluster: ALL,
  cmd: ALL,
  test: [...ALL, 'test'],
  bench: [...ALL, 'test', 'bench'],
  tools: [],
};

/** The kubelet sees the runtime only through the CRI interfaces (and its fake, in tests). */
function kubeletMayImportRuntime(targetRel, isTest) {
  if (targetRel === 'runtime/cri.ts' || targetRel === 'runtime/cri.js') return true;
  return isTest && targetRel.startsWith('runtime/fake/');
}

export default {
  meta: {
    type: 'problem',
    docs: { description: 'enforce the import boundaries between skiff folders' },
    schema: [{ type: 'object', properties: { root: { type: 'string' } }, additionalProperties: false }],
    messages: {
      forbidden: "'{{from}}/' may not import from '{{to}}/' (see docs/architecture.md: who may import whom)",
      criOnly: "the kubelet talks to the runtime only through runtime/cri.ts, not '{{target}}'",
      testOnly: "nothing outside test/ and bench/ may import from test/",
    },
  },
  create(context) {
    const root = context.options[0]?.root ?? context.cwd;
    const file = context.filename;
    const rel = path.relative(root, file).split(path.sep).join('/');
    const from = rel.split('/')[0];
    if (!(from in ALLOWED)) return {};
    // Tests, and the test support beside them (a folder named testing/), may use fakes.
    const isTest = rel.endsWith('.test.ts') || rel.split('/').includes('testing');

    function check(node, source) {
      if (typeof source !== 'string' || !source.startsWith('.')) return;
      const target = path.relative(root, path.resolve(path.dirname(file), source)).split(path.sep).join('/');
      const to = target.split('/')[0];
      if (to === from) return;
      if (to === 'test' && from !== 'test' && from !== 'bench') {
        context.report({ node, messageId: 'testOnly' });
        return;
      }
      if (!ALL.includes(to) && to !== 'test' && to !== 'bench') return;
      if (!ALLOWED[from].includes(to)) {
        context.report({ node, messageId: 'forbidden', data: { from, to } });
        return;
      }
      if (from === 'kubelet' && to === 'runtime' && !kubeletMayImportRuntime(target, isTest)) {
        context.report({ node, messageId: 'criOnly', data: { target } });
      }
    }

    return {
      ImportDeclaration: (node) => check(node.source, node.source.value),
      ExportAllDeclaration: (node) => check(node.source, node.source.value),
      ExportNamedDeclaration: (node) => node.source && check(node.source, node.source.value),
      ImportExpression: (node) => node.source.type === 'Literal' && check(node.source, node.source.value),
    };
  },
};
