// Before any suite: build dist/ (incremental, so nearly free when nothing changed), the
// runtime's spawn companion included (scripts/build-companion.sh). Suites
// run `skiff` as users do, from the built program: a plain `node dist/cmd/skiff.js` starts
// several times faster than the sources through a TypeScript loader, and it tests the
// artifact `npm start` runs.
//
// After all suites: the CNI portmap plugin's shared CNI-HOSTPORT-* chains, which the suites'
// published ports made, go too (as `skiff down` removes them) when they were not there
// before the run and nothing uses them any more.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { removeHostportChains } from '../cluster/hostport-chains.js';

function hostportChainsPresent(): boolean {
  try {
    return /^:CNI-HOSTPORT-/m.test(execFileSync('iptables-save', ['-t', 'nat'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
  } catch {
    return false; // no iptables here: nothing to clean either
  }
}

// SKIFF_BUILD_TOLERANT=1 keeps going when tsc reports errors (it still emits): for working
// on one area while another is mid-edit in the same tree. `npm test` never sets it.
export default function setup(): () => Promise<void> {
  const root = path.resolve(import.meta.dirname, '..');
  try {
    execFileSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.build.json')], {
      cwd: root,
      stdio: 'inherit',
    });
  } catch (err) {
    if (process.env.SKIFF_BUILD_TOLERANT !== '1') throw err;
  }
  execFileSync('bash', [path.join(root, 'scripts/build-companion.sh')], { cwd: root, stdio: 'inherit' });
  const chainsBefore = hostportChainsPresent();
  return async () => {
    if (!chainsBefore && hostportChainsPresent()) await removeHostportChains();
  };
}
