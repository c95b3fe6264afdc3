import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ndjson, nodeProxyPath } from './node-proxy.js';

describe('node proxy helpers', () => {
  it('builds the API server\'s node proxy path', () => {
    expect(nodeProxyPath('node-1', '/images')).toBe('/api/v1/nodes/node-1/proxy/images');
    expect(nodeProxyPath('a b', 'stats/summary')).toBe('/api/v1/nodes/a%20b/proxy/stats/summary');
  });

  it('reads JSON lines split anywhere across chunks', async () => {
    const values: unknown[] = [];
    for await (const v of ndjson(Readable.from(['{"a":', '1}\n{"b"', ':2}\n\n{"c":3}']))) values.push(v);
    expect(values).toEqual([{ a: 1 }, { b: 2 }, { c: 3 }]);
  });
});
