import { describe, expect, it } from 'vitest';
import { KeyedHeap } from './heap.js';

describe('KeyedHeap', () => {
  it('keeps order through pushes, updates and deletes', () => {
    const h = new KeyedHeap<{ k: string; v: number }>((x) => x.k, (a, b) => a.v < b.v);
    const values = [50, 20, 80, 10, 70, 30, 60, 40, 90, 0];
    values.forEach((v, i) => h.push({ k: `k${i}`, v }));
    h.push({ k: 'k2', v: 5 }); // update 80 -> 5
    expect(h.delete('k3')?.v).toBe(10);
    expect(h.has('k3')).toBe(false);
    const out: number[] = [];
    for (let x = h.pop(); x; x = h.pop()) out.push(x.v);
    expect(out).toEqual([0, 5, 20, 30, 40, 50, 60, 70, 90]);
  });
});
