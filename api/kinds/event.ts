// core/v1 Event: a report of something that happened to an object (kept for --event-ttl).
import { ageOf } from '../human-duration.js';
import { eventSchema } from '../schemas/event.js';
import type { Event } from '../types/core.js';
import { validateEvent } from '../validation/kinds.js';
import { defineKind, resourceRow } from './kind.js';

const str = (v: unknown): string => (v === undefined || v === null ? '' : String(v));

/** OBJECT: "pod/kuard", or just "node" when the event names no object. */
export function eventObject(ev: Event): string {
  const kind = (ev.involvedObject?.kind ?? '').toLowerCase();
  return ev.involvedObject?.name ? `${kind}/${ev.involvedObject.name}` : kind;
}

/** kubectl's LAST SEEN / FIRST SEEN: lastTimestamp, else firstTimestamp, else eventTime; and the count. */
export function eventTimes(ev: Event, now: number = Date.now()): { first: string; last: string; count: number } {
  const first = ev.firstTimestamp ? ageOf(ev.firstTimestamp, now) : ageOf(ev.eventTime, now);
  const last = ev.lastTimestamp ? ageOf(ev.lastTimestamp, now) : first;
  return { first, last, count: ev.count || 1 };
}

function eventSource(ev: Event): string {
  const component = ev.source?.component || ev.reportingComponent || '';
  const host = ev.source?.host || ev.reportingInstance || '';
  return host ? `${component}, ${host}` : component;
}

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
  // Wide adds its columns between these, in kube-apiserver's order.
  columns: [
    { name: 'Last Seen', type: 'string', priority: 0, description: 'The time at which the most recent occurrence of this event was recorded.', cell: (e, now) => eventTimes(e, now).last },
    { name: 'Type', type: 'string', priority: 0, description: 'Type of this event (Normal, Warning), new types could be added in the future.', cell: (e) => e.type ?? '' },
    { name: 'Reason', type: 'string', priority: 0, description: 'This should be a short, machine understandable string that gives the reason for the transition into the object\'s current status.', cell: (e) => e.reason ?? '' },
    { name: 'Object', type: 'string', priority: 0, description: 'The object that this event is about.', cell: eventObject },
    { name: 'Subobject', type: 'string', priority: 1, description: 'The field of the object this event is about (spec.containers{name}).', cell: (e) => e.involvedObject?.fieldPath ?? '' },
    { name: 'Source', type: 'string', priority: 1, description: 'The component reporting this event.', cell: eventSource },
    { name: 'Message', type: 'string', priority: 0, description: 'A human-readable description of the status of this operation.', cell: (e) => (e.message ?? '').trim() },
    { name: 'First Seen', type: 'string', priority: 1, description: 'The time at which the event was first recorded.', cell: (e, now) => eventTimes(e, now).first },
    { name: 'Count', type: 'string', priority: 1, description: 'The number of times this event has occurred.', cell: (e, now) => String(eventTimes(e, now).count) },
    { name: 'Name', type: 'string', priority: 1, description: 'Name must be unique within a namespace.', cell: (e) => e.metadata.name ?? '' },
  ],
});
