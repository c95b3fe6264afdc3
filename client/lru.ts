// A small LRU map, shared by the caches that must stay bounded (the event correlator's, the
// cluster DNS's answers): touch() sets a key at the back; the front goes when full.
export class Lru<V> extends Map<string, V> {
  constructor(readonly max: number) {
    super();
  }

  touch(k: string, v: V): void {
    this.delete(k);
    this.set(k, v);
    if (this.size > this.max) this.delete(this.keys().next().value as string);
  }
}
