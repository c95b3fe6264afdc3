// Label and field selectors as the list and watch handlers apply them, parsed by api/ (so
// the fields each kind supports are Kubernetes', and anything else is 400), plus the
// namespace of the path and the node a node-bound request is limited to.
import { errors, isApiError } from '../api/errors.js';
import { fieldGetterFor, parseFieldSelector } from '../api/selectors/fields.js';
import { parseLabelSelector } from '../api/selectors/labels.js';
import type { KubeObject } from '../api/types/meta.js';

/** A predicate for list/watch, or undefined when nothing is selected out. */
export function selectionPredicate(
  kind: string,
  opts: { labelSelector?: string; fieldSelector?: string; namespace?: string; nodeName?: string },
): ((obj: KubeObject) => boolean) | undefined {
  const preds: ((o: KubeObject) => boolean)[] = [];
  if (opts.labelSelector) {
    let sel;
    try {
      sel = parseLabelSelector(opts.labelSelector);
    } catch (e) {
      if (isApiError(e)) throw e;
      throw errors.badRequest(`unable to parse requirement: ${(e as Error).message}`);
    }
    if (!sel.isEmpty()) preds.push((o) => sel.matches(o.metadata?.labels ?? {}));
  }
  if (opts.fieldSelector) {
    const sel = parseFieldSelector(opts.fieldSelector, kind);
    if (!sel.isEmpty()) {
      const fields = fieldGetterFor(kind);
      preds.push((o) => sel.matches(fields(o)));
    }
  }
  if (opts.namespace) {
    const ns = opts.namespace;
    preds.push((o) => o.metadata?.namespace === ns);
  }
  if (opts.nodeName !== undefined) {
    const node = opts.nodeName;
    preds.push((o) => (o as { spec?: { nodeName?: string } }).spec?.nodeName === node);
  }
  if (preds.length === 0) return undefined;
  if (preds.length === 1) return preds[0];
  return (o) => preds.every((p) => p(o));
}
