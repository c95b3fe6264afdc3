// core/v1 Event: a report of something that happened to an object (kept for --event-ttl).
import { ageOf } from '../human-duration.js';
import { eventSchema } from '../schemas/event.js';
import type { Event } from '../types/core.js';
import { validateEvent } from '../validation/kinds.js';
import { defineKind, resourceRow } from './kind.js';

const str = (v: unknown): string => (v === undefined || v === null ? '' : String(v));

export const eventKind = defineKind<Event>({
  resource: resourceRow({ group: '', version: 'v1', kind: 'Event', plural: 'events', namespaced: true, shortNames: ['ev'] }),
  schema: eventSchema,
  nameRule: 'subdomain',
  validate: validateEvent,
  selectableFields: (ev) => {
    const io = ev.involvedObject ?? {};
    return {
      'involvedObject.kind': str(io.kind),
      'involvedObject.namespace': str(io.namespace),
      'involvedObject.name': str(io.name),
      'involvedObject.uid': str(io.uid),
      'involvedObject.apiVersion': str(io.apiVersion),
      'involvedObject.resourceVersion': str(io.resourceVersion),
      'involvedObject.fieldPath': str(io.fieldPath),
      reason: str(ev.reason),
      reportingComponent: str(ev.reportingComponent),
      source: str(ev.source?.component),
      type: str(ev.type),
    };
  },
  columns: [
    {
      name: 'Last Seen',
      type: 'string',
      priority: 0,
      description: 'The time at which the most recent occurrence of this event was recorded.',
      cell: (e, now) => ageOf(e.lastTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp, now),
    },
    { name: 'Type', type: 'string', priority: 0, description: 'Type of this event (Normal, Warning).', cell: (e) => e.type ?? '' },
    { name: 'Reason', type: 'string', priority: 0, description: 'Why the action was taken.', cell: (e) => e.reason ?? '' },
    {
      name: 'Object',
      type: 'string',
      priority: 0,
      description: 'The object this Event is about.',
      cell: (e) => `${(e.involvedObject?.kind ?? '').toLowerCase()}/${e.involvedObject?.name ?? ''}`,
    },
    { name: 'Message', type: 'string', priority: 0, description: 'A human-readable description of the status of this operation.', cell: (e) => e.message ?? '' },
  ],
});
