// coordination.k8s.io/v1 Lease: node heartbeats and leader election.
import { leaseSchema } from '../schemas/cluster.js';
import type { Lease } from '../types/coordination.js';
import { validateLease } from '../validation/kinds.js';
import { ageColumn, defineKind, nameColumn, resourceRow } from './kind.js';

export const leaseKind = defineKind<Lease>({
  resource: resourceRow({ group: 'coordination.k8s.io', version: 'v1', kind: 'Lease', plural: 'leases', namespaced: true }),
  schema: leaseSchema,
  nameRule: 'subdomain',
  validate: validateLease,
  columns: [
    nameColumn,
    { name: 'Holder', type: 'string', priority: 0, description: 'HolderIdentity contains the identity of the holder of a current lease.', cell: (l) => l.spec?.holderIdentity ?? '' },
    ageColumn,
  ],
});
