// ESLint rule: the import boundaries between skiff's top-level folders (docs/architecture.md,
// "Layout and who may import whom"). A relative import is resolved against the importing
// file and its folder is checked against the allow-list of the importer's folder. A folder is
// a top-level one, or a nested one with a row of its own (`cli/node/`): the nested folder has
// its own allow-list, and its parent may not import it (cli/ stays off the runtime).
import path from 'node:path';

const ALL = ['api', 'client', 'apiserver', 'scheduler', 'controllers', 'kubelet', 'runtime', 'imagebuild', 'cli', 'cluster', 'cmd', 'proxy'];

/** folder -> folders it may import (its own folder is always allowed) */
export const ALLOWED = {
  api: [],
  client: ['api'],
  apiserver: ['api'],
  scheduler: ['api', 'client'],
  controllers: ['api', 'client'],
  kubelet: ['api', 'client', 'runtime'],
  proxy: ['api', 'client'],
  runtime: ['api'],
  imagebuild: ['api', 'runtime'],
  cli: ['api', 'client'],
  'cli/node': ['api', 'cli', 'runtime', 'imagebuild'],
  cluster: ALL,
  cmd: ALL,
  test: [...ALL, 'test'],
  bench: [...ALL, 'test', 'bench'],
  tools: [],
};

/** The folder of a repository-relative path: the longest row of ALLOWED it lies in, else its top-level folder. */
function folderOf(rel) {
  const parts = rel.split('/');
  for (let n = parts.length - 1; n > 1; n--) {
    const f = parts.slice(0, n).join('/');
    if (f in ALLOWED) return f;
  }
  return parts[0];
}

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
    const from = folderOf(rel);
    if (!(from in ALLOWED)) return {};
    // Tests, and the test support beside them (a folder named testing/), may use fakes.
    const isTest = rel.endsWith('.test.ts') || rel.split('/').includes('testing');

    function check(node, source) {
      if (typeof source !== 'string' || !source.startsWith('.')) return;
      const target = path.relative(root, path.resolve(path.dirname(file), source)).split(path.sep).join('/');
      const to = folderOf(target);
      if (to === from) return;
      const toTop = to.split('/')[0];
      if (to === 'test' && from !== 'test' && from !== 'bench') {
        context.report({ node, messageId: 'testOnly' });
        return;
      }
      if (!ALL.includes(toTop) && toTop !== 'test' && toTop !== 'bench') return;
      // Into a nested folder: allowed where its parent is, but never from the parent itself.
      const allowed = ALLOWED[from].includes(to) || (to !== toTop && from !== toTop && ALLOWED[from].includes(toTop));
      if (!allowed) {
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
