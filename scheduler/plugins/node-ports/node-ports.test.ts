import { describe, expect, it } from 'vitest';
import { makeNodeInfo, makePod, type PodSpecLite } from '../../framework/builders.js';
import { CycleState } from '../../framework/cycle-state.js';
import { PodInfo } from '../../framework/node-info.js';
import { ERR_REASON, NodePorts } from './node-ports.js';

type Ports = PodSpecLite['hostPorts'];

describe('NodePorts', () => {
  it.each<{ name: string; existing: Ports; wanted: Ports; fits: boolean }>([
    { name: 'no host ports', existing: [8080], wanted: [], fits: true },
    { name: 'free port', existing: [8080], wanted: [9090], fits: true },
    { name: 'same port, any address', existing: [8080], wanted: [8080], fits: false },
    { name: 'same port, other protocol', existing: [{ port: 53, protocol: 'UDP' }], wanted: [{ port: 53, protocol: 'TCP' }], fits: true },
    { name: 'specific addresses that differ', existing: [{ port: 80, ip: '10.0.0.1' }], wanted: [{ port: 80, ip: '10.0.0.2' }], fits: true },
    { name: 'specific address vs 0.0.0.0', existing: [{ port: 80, ip: '10.0.0.1' }], wanted: [{ port: 80 }], fits: false },
    { name: '0.0.0.0 vs specific address', existing: [{ port: 80 }], wanted: [{ port: 80, ip: '10.0.0.1' }], fits: false },
  ])('$name', ({ existing, wanted, fits }) => {
    const ni = makeNodeInfo({ name: 'n' }, [makePod({ hostPorts: existing })]);
    const plugin = new NodePorts();
    const st = new CycleState();
    const pi = new PodInfo(makePod({ hostPorts: wanted }));
    const pre = plugin.preFilter(st, pi);
    expect(pre.code).toBe((wanted ?? []).length ? 'Success' : 'Skip');
    const s = plugin.filter(st, pi, ni);
    expect(s.isSuccess()).toBe(fits);
    if (!fits) expect([...s.reasons]).toEqual([ERR_REASON]);
  });

  it('frees a port when its pod leaves the node', () => {
    const holder = makePod({ hostPorts: [8080] });
    const ni = makeNodeInfo({ name: 'n' }, [holder]);
    const pi = new PodInfo(makePod({ hostPorts: [8080] }));
    expect(new NodePorts().filter(new CycleState(), pi, ni).isSuccess()).toBe(false);
    ni.removePod(new PodInfo(holder).key);
    expect(new NodePorts().filter(new CycleState(), pi, ni).isSuccess()).toBe(true);
  });
});
