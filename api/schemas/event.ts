// core/v1 Event: a report of something that happened to an object.
import type { JsonSchema } from './json-schema.js';
import { enumOf, int32, nullableTime, obj, str } from './json-schema.js';
import { envelope } from './meta.js';
import { objectReferenceSchema } from './pod.js';

export const eventSchema: JsonSchema = envelope(
  { group: '', version: 'v1', kind: 'Event' },
  'Event is a report of an event somewhere in the cluster.',
  {
    involvedObject: objectReferenceSchema,
    reason: str('Short, machine understandable string that gives the reason for the transition.'),
    message: str('A human-readable description of the status of this operation.'),
    source: obj('io.k8s.api.core.v1.EventSource', { component: str(), host: str() }),
    firstTimestamp: nullableTime(),
    lastTimestamp: nullableTime(),
    eventTime: nullableTime(),
    count: int32('The number of times this event has occurred.'),
    type: enumOf(['Normal', 'Warning']),
    action: str(),
    reportingComponent: str(),
    reportingInstance: str(),
  },
  ['involvedObject'],
);
