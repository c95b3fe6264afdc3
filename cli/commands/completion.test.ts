import { execFileSync } from 'node:child_process';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { registerCli } from '../index.js';
import { bashCompletion, zshCompletion } from './completion.js';

const script = bashCompletion(registerCli(new Command('skiff')));

/** Runs the completion function in a real bash for a command line; `skiff` itself is stubbed. */
function complete(line: string): string[] {
  const words = line.split(' ');
  const program = `
${script}
skiff() { if [[ "$2" == pods ]]; then echo "kuard web"; elif [[ "$2" == namespaces ]]; then echo "default kube-system"; fi; }
COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')})
COMP_CWORD=${words.length - 1}
_skiff
printf '%s\\n' "\${COMPREPLY[@]}"
`;
  return execFileSync('bash', ['-c', program], { encoding: 'utf8' }).split('\n').filter(Boolean);
}

describe('bash completion', () => {
  it('completes verbs', () => {
    expect(complete('skiff app')).toEqual(['apply']);
    expect(complete('skiff ap').sort()).toEqual(['api-resources', 'apply']);
    expect(complete('skiff de').sort()).toEqual(['delete', 'describe']);
  });

  it('completes resource types, then object names from the cluster', () => {
    expect(complete('skiff get no')).toEqual(['no', 'node', 'nodes']);
    expect(complete('skiff get pods k')).toEqual(['kuard']);
    expect(complete('skiff delete -n default pods w')).toEqual(['web']);
  });

  it('completes namespaces after -n, formats after -o, and flags', () => {
    expect(complete('skiff get -n kube')).toEqual(['kube-system']);
    expect(complete('skiff get pods -o ya')).toEqual(['yaml']);
    expect(complete('skiff get pods --sho')).toEqual(['--show-labels']);
    expect(complete('skiff config use')).toEqual(['use-context']);
  });

  it('zsh loads the same function through bashcompinit', () => {
    const zsh = zshCompletion(registerCli(new Command('skiff')));
    expect(zsh.startsWith('#compdef skiff\n')).toBe(true);
    expect(zsh).toContain('bashcompinit');
    execFileSync('bash', ['-n', '-c', script]);
  });
});
