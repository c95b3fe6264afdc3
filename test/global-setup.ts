// Before any suite: build dist/ (incremental, so nearly free when nothing changed). Suites
// run `skiff` as users do, from the built program: a plain `node dist/cmd/skiff.js` starts
// several times faster than the sources through a TypeScript loader, and it tests the
// artifact `npm start` runs.
import { execFileSync } from 'node:child_process';
import path from 'node:path';

// SKIFF_BUILD_TOLERANT=1 keeps going when tsc reports errors (it still emits): for working
// on one area while another is mid-edit in the same tree. `npm test` never sets it.
export default function setup(): void {
  const root = path.resolve(import.meta.dirname, '..');
  try {
    execFileSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.build.json')], {
      cwd: root,
      stdio: 'inherit',
    });
  } catch (err) {
    if (process.env.SKIFF_BUILD_TOLERANT !== '1') throw err;
  }
}
