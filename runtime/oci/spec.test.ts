import { describe, expect, it } from 'vitest';
import { DEFAULT_CAPABILITIES } from './defaults.js';
import { buildSpec, type SpecInput } from './spec.js';

const base: SpecInput = {
  args: ['/bin/sh'],
  env: ['PATH=/bin'],
  cwd: '/',
  user: { uid: 1000, gid: 1000, additionalGids: [10] },
  hostname: 'web',
  netnsPath: '/run/netns/skiff-x',
  cgroupsPath: '/skiff/pod-1/c1',
  etc: { hosts: '/r/hosts', resolvConf: '/r/resolv.conf', hostname: '/r/hostname' },
};

describe('buildSpec', () => {
  it('joins the sandbox network namespace and sets hostname, user and cgroup', () => {
    const s = buildSpec(base);
    expect(s.linux.namespaces).toContainEqual({ type: 'network', path: '/run/netns/skiff-x' });
    expect(s.linux.namespaces.map((n) => n.type)).toEqual(['pid', 'ipc', 'uts', 'mount', 'network']);
    expect(s.hostname).toBe('web');
    expect(s.process.user).toEqual({ uid: 1000, gid: 1000, additionalGids: [10] });
    expect(s.linux.cgroupsPath).toBe('/skiff/pod-1/c1');
  });
  it('gives the process a terminal only for a container with tty', () => {
    expect(buildSpec(base).process.terminal).toBe(false);
    expect(buildSpec({ ...base, terminal: true }).process.terminal).toBe(true);
  });
  it('has the standard mounts and the generated /etc files read-only', () => {
    const s = buildSpec(base);
    const dests = s.mounts.map((m) => m.destination);
    for (const d of ['/proc', '/dev', '/dev/pts', '/dev/shm', '/dev/mqueue', '/sys', '/etc/hosts', '/etc/resolv.conf', '/etc/hostname']) expect(dests).toContain(d);
    expect(s.mounts.find((m) => m.destination === '/etc/hosts')?.options).toContain('ro');
  });
  it("applies Docker's default capabilities, masked and read-only paths", () => {
    const s = buildSpec(base);
    expect(s.process.capabilities.bounding).toEqual([...DEFAULT_CAPABILITIES].sort());
    expect(s.process.capabilities.bounding).not.toContain('CAP_SYS_ADMIN');
    expect(s.linux.maskedPaths).toContain('/proc/kcore');
    expect(s.linux.readonlyPaths).toContain('/proc/sys');
    expect(s.process.noNewPrivileges).toBe(false);
    expect(s.root.readonly).toBe(false);
  });
  it('honours drops/adds, noNewPrivs and read-only rootfs', () => {
    const s = buildSpec({ ...base, security: { capabilities: { dropCapabilities: ['ALL'], addCapabilities: ['net_admin'] }, noNewPrivs: true, readonlyRootfs: true } });
    expect(s.process.capabilities.effective).toEqual(['CAP_NET_ADMIN']);
    expect(s.process.noNewPrivileges).toBe(true);
    expect(s.root.readonly).toBe(true);
  });
  it('gives privileged containers everything and no masks', () => {
    const s = buildSpec({ ...base, security: { privileged: true } });
    expect(s.process.capabilities.bounding).toContain('CAP_SYS_ADMIN');
    expect(s.linux.maskedPaths).toBeUndefined();
    expect(s.linux.resources.devices).toEqual([{ allow: true, access: 'rwm' }]);
  });
  it('binds hostPath/emptyDir mounts with their propagation and mode, and lets them replace /etc files', () => {
    const s = buildSpec({
      ...base,
      mounts: [
        { containerPath: '/data', hostPath: '/var/pod/empty', readonly: false },
        { containerPath: '/etc/hosts', hostPath: '/custom/hosts', readonly: true, propagation: 'PROPAGATION_HOST_TO_CONTAINER' },
      ],
    });
    expect(s.mounts.find((m) => m.destination === '/data')).toEqual({ destination: '/data', type: 'bind', source: '/var/pod/empty', options: ['rbind', 'rprivate', 'rw'] });
    expect(s.mounts.filter((m) => m.destination === '/etc/hosts')).toEqual([{ destination: '/etc/hosts', type: 'bind', source: '/custom/hosts', options: ['rbind', 'rslave', 'ro'] }]);
  });
  it("passes the pod's sysctls", () => {
    expect(buildSpec({ ...base, sysctls: { 'net.ipv4.ip_unprivileged_port_start': '0' } }).linux.sysctl).toEqual({ 'net.ipv4.ip_unprivileged_port_start': '0' });
    expect(buildSpec(base).linux.sysctl).toBeUndefined();
  });
  it('maps resources and leaves the network namespace out on the host network', () => {
    const s = buildSpec({ ...base, netnsPath: undefined, resources: { memoryLimitInBytes: 209715200, memorySwapLimitInBytes: 1073741824, cpuShares: 512 } });
    expect(s.linux.namespaces.some((n) => n.type === 'network')).toBe(false);
    expect(s.linux.resources.memory).toEqual({ limit: 209715200, swap: 1073741824 });
    expect(s.linux.resources.cpu).toEqual({ shares: 512 });
    expect(s.mounts.find((m) => m.destination === '/sys')?.type).toBe('bind');
  });
});
