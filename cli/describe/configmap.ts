// `describe configmap` and `describe secret` in kubectl's layout (describe.go's
// ConfigMapDescriber and SecretDescriber): a ConfigMap shows its values, a Secret only the
// size of each value, never the value itself. kubectl walks the maps in Go's random order;
// here keys are sorted so the page is stable.
import type { ConfigMap, Event, Secret } from '../../api/types/core.js';
import type { Clock } from '../printers/age.js';
import { annotationLines, describeEvents, labelLines, multiline } from './common.js';
import { DescribeWriter } from './tabwriter.js';

function header(w: DescribeWriter, obj: ConfigMap | Secret): void {
  w.line(0, `Name:\t${obj.metadata.name ?? ''}`);
  w.line(0, `Namespace:\t${obj.metadata.namespace ?? ''}`);
  multiline(w, 0, 'Labels', labelLines(obj.metadata.labels));
  multiline(w, 0, 'Annotations', annotationLines(obj.metadata.annotations));
}

/** The decoded size of a base64 value, as kubectl prints it ("N bytes"). */
const decodedBytes = (b64: string): number => Buffer.from(b64, 'base64').length;

export function describeConfigMap(cm: ConfigMap, events: Event[] | undefined, clock?: Clock): string {
  const w = new DescribeWriter();
  header(w, cm);
  w.line(0, '\nData\n====');
  for (const key of Object.keys(cm.data ?? {}).sort()) w.line(0, `${key}:\n----\n${cm.data?.[key] ?? ''}\n`);
  w.line(0, '\nBinaryData\n====');
  for (const key of Object.keys(cm.binaryData ?? {}).sort()) w.line(0, `${key}: ${decodedBytes(cm.binaryData?.[key] ?? '')} bytes`);
  w.line(0, '');
  describeEvents(w, events, clock);
  return w.toString();
}

export function describeSecret(s: Secret, events: Event[] | undefined, clock?: Clock): string {
  const w = new DescribeWriter();
  header(w, s);
  w.line(0, `\nType:\t${s.type ?? 'Opaque'}`);
  w.line(0, '\nData\n====');
  for (const key of Object.keys(s.data ?? {}).sort()) w.line(0, `${key}:\t${decodedBytes(s.data?.[key] ?? '')} bytes`);
  if (events !== undefined) w.line(0, '');
  describeEvents(w, events, clock);
  return w.toString();
}
