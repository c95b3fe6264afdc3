import { describe, expect, it } from 'vitest';
import { expandPairs, expandWord, expandWords } from './words.js';

const vars = new Map([
  ['A', 'alpha'],
  ['EMPTY', ''],
  ['SP', 'two words'],
]);

describe('Dockerfile word expansion', () => {
  it('expands $VAR and ${VAR} with the :- :+ - + modifiers', () => {
    expect(expandWord('$A-${A}_$NOPE.', vars)).toBe('alpha-alpha_.');
    expect(expandWord('${NOPE:-dflt} ${EMPTY:-dflt} ${EMPTY-dflt} ${A:+set} ${NOPE:+set} ${EMPTY+set}', vars)).toBe('dflt dflt  set  set');
    expect(expandWord('${NOPE:-$A}', vars)).toBe('alpha');
    expect(() => expandWord('${NOPE:?must be set}', vars)).toThrow(/NOPE: must be set/);
    expect(() => expandWord('${A', vars)).toThrow(/missing '}'/);
  });

  it('honours quotes and the escape character', () => {
    expect(expandWord(`'$A' "$A" \\$A "a\\"b" 'it''s'`, vars)).toBe('$A alpha $A a"b its');
    expect(expandWord('`$A', vars, '`')).toBe('$A');
    expect(() => expandWord('"open', vars)).toThrow(/matching double-quote/);
  });

  it('splits words on unquoted blanks only, after expansion of the parts', () => {
    expect(expandWords('a "b c" $SP d\\ e', vars)).toEqual(['a', 'b c', 'two words', 'd e']);
  });

  it('reads KEY=VALUE pairs and the legacy "KEY value" form', () => {
    expect(expandPairs('X=1 Y="a b" Z=$A W', vars)).toEqual([
      ['X', '1'],
      ['Y', 'a b'],
      ['Z', 'alpha'],
      ['W', undefined],
    ]);
    expect(expandPairs('KEY some value $A', vars)).toEqual([['KEY', 'some value alpha']]);
    expect(expandPairs('NAME', vars, '\\', false)).toEqual([['NAME', undefined]]);
  });
});
