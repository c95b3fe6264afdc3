// apps/v1 ControllerRevision: an immutable snapshot of a template (a DaemonSet's history),
// written by the controller that owns it.
import { controllerRevisionSchema } from '../schemas/apps.js';
import type { ControllerRevision } from '../types/apps.js';
import { validateControllerRevision, validateControllerRevisionUpdate } from '../validation/apps.js';
import { ageColumn, defineKind, nameColumn, resourceRow } from './kind.js';

/** CONTROLLER: the controlling owner as "daemonset.apps/name" (formatResourceName with its GroupKind), "<none>" without one. */
function controllerOf(cr: ControllerRevision): string {
  const ref = cr.metadata.ownerReferences?.find((o) => o.controller === true);
  if (!ref) return '<none>';
  const slash = ref.apiVersion.indexOf('/');
  const group = slash >= 0 ? ref.apiVersion.slice(0, slash) : '';
  return `${(group ? `${ref.kind}.${group}` : ref.kind).toLowerCase()}/${ref.name}`;
}

export const controllerRevisionKind = defineKind<ControllerRevision>({
  resource: resourceRow({ group: 'apps', version: 'v1', kind: 'ControllerRevision', plural: 'controllerrevisions', namespaced: true }),
  schema: controllerRevisionSchema,
  nameRule: 'subdomain',
  validate: validateControllerRevision,
  validateUpdate: validateControllerRevisionUpdate,
  columns: [
    nameColumn,
    { name: 'Controller', type: 'string', priority: 0, description: 'The controller that owns this revision.', cell: controllerOf },
    { name: 'Revision', type: 'integer', priority: 0, description: 'Revision indicates the revision of the state represented by Data.', cell: (cr) => cr.revision ?? 0 },
    ageColumn,
  ],
});
