import { describe, expect, it } from 'vitest';
import type { Pod, PodSpec } from '../api/types/core.js';
import { podDnsConfig, type ClusterDnsSettings } from './dns-config.js';

const settings: ClusterDnsSettings = {
  clusterDNS: ['10.96.0.10'],
  clusterDomain: 'cluster.local',
  host: { nameservers: ['192.168.1.1', '192.168.1.2'], searches: ['corp.example'], options: ['timeout:2', 'ndots:1'] },
};
const pod = (spec: Partial<PodSpec>): Pod => ({ metadata: { name: 'p', namespace: 'shop' }, spec: { containers: [], ...spec } });
const HOST = { servers: ['192.168.1.1', '192.168.1.2'], searches: ['corp.example'], options: ['timeout:2', 'ndots:1'] };
const CLUSTER = { servers: ['10.96.0.10'], searches: ['shop.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'corp.example'], options: ['ndots:5'] };

describe('podDnsConfig', () => {
  it.each<[string, Partial<PodSpec>, Partial<ClusterDnsSettings>, unknown]>([
    ['ClusterFirst (the default)', {}, {}, CLUSTER],
    ['ClusterFirst', { dnsPolicy: 'ClusterFirst' }, {}, CLUSTER],
    ['ClusterFirst on the host network keeps the node', { dnsPolicy: 'ClusterFirst', hostNetwork: true }, {}, HOST],
    ['ClusterFirstWithHostNet on the host network', { dnsPolicy: 'ClusterFirstWithHostNet', hostNetwork: true }, {}, CLUSTER],
    ['ClusterFirstWithHostNet off the host network', { dnsPolicy: 'ClusterFirstWithHostNet' }, {}, CLUSTER],
    ['ClusterFirst without --cluster-dns falls back to Default', {}, { clusterDNS: [] }, HOST],
    ['Default', { dnsPolicy: 'Default' }, {}, HOST],
    ['None: only the pod dnsConfig', { dnsPolicy: 'None', dnsConfig: { nameservers: ['1.1.1.1'], searches: ['a.example.'], options: [{ name: 'edns0' }] } }, {}, { servers: ['1.1.1.1'], searches: ['a.example'], options: ['edns0'] }],
    [
      'ClusterFirst merged with dnsConfig: appended, options by name',
      { dnsConfig: { nameservers: ['1.1.1.1', '10.96.0.10'], searches: ['extra.example', 'cluster.local'], options: [{ name: 'ndots', value: '2' }, { name: 'edns0' }] } },
      {},
      { servers: ['10.96.0.10', '1.1.1.1'], searches: [...CLUSTER.searches, 'extra.example'], options: ['ndots:2', 'edns0'] },
    ],
    ['at most 3 nameservers', { dnsPolicy: 'Default', dnsConfig: { nameservers: ['1.1.1.1', '8.8.8.8'] } }, {}, { ...HOST, servers: ['192.168.1.1', '192.168.1.2', '1.1.1.1'] }],
    ['a cluster domain with its trailing dot', {}, { clusterDomain: 'cluster.local.' }, CLUSTER],
  ])('%s', (_name, spec, over, want) => {
    expect(podDnsConfig(pod(spec), { ...settings, ...over })).toEqual(want);
  });
});
