// `skiff cri run`'s network (cli/node/) against the ones `skiff up` and `skiff lab` make: two
// folders' defaults side by side, so the test lives with the cluster, which may import both.
import { describe, expect, it } from 'vitest';
import { CRI_RUN_NETWORK } from '../cli/node/cri-runs.js';
import { DEFAULTS } from './detach.js';
import { planLabNetwork } from './lab-network.js';

/** First and last address of an IPv4 CIDR, as numbers. */
function range(cidr: string): [number, number] {
  const [ip, len] = cidr.split('/');
  const base = ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
  const size = 2 ** (32 - Number(len));
  return [base - (base % size), base - (base % size) + size - 1];
}
const overlap = (x: string, y: string) => {
  const [a, b] = [range(x), range(y)];
  return a[0] <= b[1] && b[0] <= a[1];
};

describe('the docker-style network', () => {
  it("has a bridge and pod CIDR of its own, apart from skiff up's and the labs'", () => {
    expect(CRI_RUN_NETWORK.bridge).not.toBe(DEFAULTS.bridge);
    expect(CRI_RUN_NETWORK.bridge.length).toBeLessThanOrEqual(15);
    expect(overlap('10.88.0.0/24', '10.88.0.0/16')).toBe(true); // the old pair did collide
    expect(overlap(CRI_RUN_NETWORK.podCidr, DEFAULTS.podCidr)).toBe(false);
    // the runtime's own default (a kubelet started without --pod-cidr)
    expect(overlap(CRI_RUN_NETWORK.podCidr, '10.88.0.0/16')).toBe(false);
    const lab = planLabNetwork('l', 200);
    for (const n of lab.nodes) expect(overlap(CRI_RUN_NETWORK.podCidr, n.podCidr) || overlap(CRI_RUN_NETWORK.podCidr, `${n.ip}/24`)).toBe(false);
  });
});
