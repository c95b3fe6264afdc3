// The columns kubectl prints for every workload kind (pkg/printers/internalversion): the
// template's containers and images and the selector with -o wide, and the helpers their cells
// share.
import { labelSelectorFromObject } from '../selectors/labels.js';
import type { PodTemplateSpec } from '../types/apps.js';
import type { KubeObject, LabelSelector } from '../types/meta.js';
import type { PrinterColumn } from './kind.js';

/** metav1.FormatLabelSelector: "app=web", "<none>" for an empty one, "<error>" for one that cannot parse. */
export function formatLabelSelector(sel: LabelSelector | undefined): string {
  try {
    return labelSelectorFromObject(sel).toString() || '<none>';
  } catch {
    return '<error>';
  }
}

/** labels.FormatLabels: "k=v,k2=v2" by key, "<none>" when empty. */
export function formatLabels(labels: Record<string, string> | undefined): string {
  const keys = Object.keys(labels ?? {}).sort();
  return keys.length ? keys.map((k) => `${k}=${(labels as Record<string, string>)[k]}`).join(',') : '<none>';
}

/** CONTAINERS, IMAGES and SELECTOR (wide), read from the kind's template and selector. */
export function templateColumns<T extends KubeObject>(
  template: (o: T) => PodTemplateSpec | undefined,
  selector: (o: T) => string,
  selectorDescription: string,
): PrinterColumn<T>[] {
  const containers = (o: T) => template(o)?.spec?.containers ?? [];
  return [
    { name: 'Containers', type: 'string', priority: 1, description: 'Names of each container in the template.', cell: (o) => containers(o).map((c) => c.name).join(',') },
    { name: 'Images', type: 'string', priority: 1, description: 'Images referenced by each container in the template.', cell: (o) => containers(o).map((c) => c.image ?? '').join(',') },
    { name: 'Selector', type: 'string', priority: 1, description: selectorDescription, cell: selector },
  ];
}
