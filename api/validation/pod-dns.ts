// A pod's dnsPolicy and dnsConfig (validateDNSPolicy, validatePodDNSConfig): None needs a
// dnsConfig with a nameserver; at most 3 nameservers, each an IP; at most 32 search domains.
import { isIP } from 'node:net';
import type { PodSpec } from '../types/core.js';
import type { StatusCause } from '../types/meta.js';
import { type FieldPath, invalid, required } from './field.js';

const MAX_NAMESERVERS = 3;
const MAX_SEARCHES = 32;

export function validatePodDns(spec: PodSpec, path: FieldPath): StatusCause[] {
  const causes: StatusCause[] = [];
  const cfg = spec.dnsConfig;
  const p = path.child('dnsConfig');
  if (spec.dnsPolicy === 'None' && !cfg) return [required(p, 'must provide `dnsConfig` when `dnsPolicy` is None')];
  if (!cfg) return causes;
  const servers = cfg.nameservers ?? [];
  if (spec.dnsPolicy === 'None' && servers.length === 0) causes.push(required(p.child('nameservers'), 'must provide at least one DNS nameserver when `dnsPolicy` is None'));
  if (servers.length > MAX_NAMESERVERS) causes.push(invalid(p.child('nameservers'), servers, `must not have more than ${MAX_NAMESERVERS} nameservers`));
  servers.forEach((s, i) => {
    if (isIP(s) === 0) causes.push(invalid(p.child('nameservers').index(i), s, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'));
  });
  if ((cfg.searches?.length ?? 0) > MAX_SEARCHES) causes.push(invalid(p.child('searches'), cfg.searches, `must not have more than ${MAX_SEARCHES} search paths`));
  (cfg.options ?? []).forEach((o, i) => {
    if (!o.name) causes.push(required(p.child('options').index(i).child('name'), ''));
  });
  return causes;
}
