// core/v1 Namespace: a scope for names. A new one is Active with the "kubernetes" finalizer.
import { namespaceSchema } from '../schemas/cluster.js';
import type { Namespace } from '../types/core.js';
import { validateNamespace } from '../validation/kinds.js';
import { ageColumn, defineKind, nameColumn, resourceRow } from './kind.js';

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export const namespaceKind = defineKind<Namespace>({
  resource: resourceRow({
    group: '',
    version: 'v1',
    kind: 'Namespace',
    plural: 'namespaces',
    namespaced: false,
    shortNames: ['ns'],
    // No deletecollection: deleting a namespace empties it, one at a time.
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
    subresources: ['status'],
  }),
  schema: namespaceSchema,
  nameRule: 'label',
  defaults: (ns) => {
    // Kubernetes sets this at create and keeps it through updates; a body without it means the default.
    ns.spec ??= {};
    if (isObj(ns.spec)) ns.spec.finalizers ??= ['kubernetes'];
    ns.status ??= {};
    if (isObj(ns.status)) ns.status.phase ??= 'Active';
  },
  validate: validateNamespace,
  validateStatus: () => [],
  strategy: {
    prepareForCreate: (ns) => {
      ns.spec = { ...ns.spec, finalizers: ['kubernetes'] };
      ns.status = { phase: 'Active' };
    },
  },
  selectableFields: (ns) => ({ 'status.phase': ns.status?.phase ?? '' }),
  columns: [
    nameColumn,
    { name: 'Status', type: 'string', priority: 0, description: 'The status of the namespace', cell: (ns) => ns.status?.phase ?? '' },
    ageColumn,
  ],
});
