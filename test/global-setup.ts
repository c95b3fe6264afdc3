// Before any suite: build dist/ (incremental, so nearly free when nothing changed). Suites
// run `skiff` as users do, from the built program: a plain `node dist/cmd/skiff.js` starts
// several times faster than the sources through a TypeScript loader, and it tests the
// artifact `npm start` runs.
import { execFileSync } from 'node:child_process';
import path from 'node:path';

export default function setup(): void {
  const root = path.resolve(import.meta.dirname, '..');
  execFileSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.build.json')], {
    cwd: root,
    stdio: 'inherit',
  });
}
