// Its own file: interrupt() is for the whole process, as Ctrl-C is.
import { expect, it } from 'vitest';
import { compare, interrupt } from './rounds.js';

it('an interrupted comparison stops after the measurement in progress and rejects, so the benchmark can clean up', async () => {
  const measured: string[] = [];
  const run = compare({
    name: 'x',
    unit: 'ms',
    rounds: 3,
    anchor: { label: 'a', measure: async (r) => (measured.push(`a${r}`), 1) },
    skiff: {
      label: 's',
      measure: async (r) => {
        measured.push(`s${r}`);
        interrupt();
        return 1;
      },
    },
    say: () => undefined,
  });
  await expect(run).rejects.toThrow('x: interrupted');
  expect(measured).toEqual(['a0', 's0']);
});
