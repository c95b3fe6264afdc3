import { describe, expect, it } from 'vitest';
import { deletionFinalizers } from './garbage-collection.js';

describe('deletionFinalizers (the generic registry’s deletionFinalizersForGarbageCollection)', () => {
  it.each<[string, string[] | undefined, Parameters<typeof deletionFinalizers>[1], string[] | undefined]>([
    ['Background by default: nothing to add', undefined, {}, undefined],
    ['Background keeps other finalizers', ['example.com/x'], { propagationPolicy: 'Background' }, undefined],
    ['Foreground adds foregroundDeletion', ['example.com/x'], { propagationPolicy: 'Foreground' }, ['example.com/x', 'foregroundDeletion']],
    ['Orphan adds orphan', undefined, { propagationPolicy: 'Orphan' }, ['orphan']],
    ['orphanDependents true is Orphan', undefined, { orphanDependents: true }, ['orphan']],
    ['orphanDependents false is Background: an orphan finalizer goes', ['orphan'], { orphanDependents: false }, []],
    ['a later Foreground replaces orphan', ['orphan'], { propagationPolicy: 'Foreground' }, ['foregroundDeletion']],
    ['no policy keeps what an earlier DELETE set', ['foregroundDeletion'], {}, undefined],
    ['Background removes a GC finalizer', ['a/b', 'foregroundDeletion'], { propagationPolicy: 'Background' }, ['a/b']],
  ])('%s', (_what, finalizers, opts, want) => {
    expect(deletionFinalizers(finalizers, opts)).toEqual(want);
  });
});
