import { describe, expect, it } from 'vitest';
import { parsePortMapping } from '../streams/port-forwarder.js';
import { parseTarget } from './port-forward.js';

describe('parsePortMapping', () => {
  it("reads kubectl's REMOTE, LOCAL:REMOTE and :REMOTE", () => {
    expect(parsePortMapping('8080')).toEqual({ local: 8080, remote: 8080 });
    expect(parsePortMapping('5000:8080')).toEqual({ local: 5000, remote: 8080 });
    expect(parsePortMapping(':8080')).toEqual({ local: 0, remote: 8080 });
  });
  it('refuses what is not a port', () => {
    for (const bad of ['0', '65536', 'http', '1:2:3', '5000:', 'a:80']) expect(() => parsePortMapping(bad), bad).toThrow();
  });
});

describe('parseTarget', () => {
  it('takes a bare pod name and TYPE/NAME for pods, services, deployments and replica sets', () => {
    expect(parseTarget('web')).toEqual({ kind: 'pod', name: 'web' });
    expect(parseTarget('po/web')).toEqual({ kind: 'pod', name: 'web' });
    expect(parseTarget('svc/web')).toEqual({ kind: 'service', name: 'web' });
    expect(parseTarget('deployment/web')).toEqual({ kind: 'deployment', name: 'web' });
    expect(parseTarget('rs/web')).toEqual({ kind: 'replicaset', name: 'web' });
  });
  it('refuses other kinds and an empty name', () => {
    expect(() => parseTarget('node/n1')).toThrow('cannot port-forward to "node/n1"');
    expect(() => parseTarget('pod/')).toThrow();
  });
});
