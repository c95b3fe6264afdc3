// Per-cycle scratch space: PreFilter computes something once per pod, Filter and Score
// read it for every node. Keys are typed so a plugin gets back what it stored.

export class StateKey<T> {
  // Phantom field: makes StateKey<A> and StateKey<B> distinct types.
  declare readonly _type: T;
  constructor(readonly name: string) {}
}

export class CycleState {
  readonly #data = new Map<StateKey<unknown>, unknown>();

  write<T>(key: StateKey<T>, value: T): void {
    this.#data.set(key as StateKey<unknown>, value);
  }

  read<T>(key: StateKey<T>): T | undefined {
    return this.#data.get(key as StateKey<unknown>) as T | undefined;
  }
}
