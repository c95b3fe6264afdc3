// The columns `skiff get` prints for each kind: the ones the kind declares (api/kinds/, the
// same the API server's Table gives kubectl), headers upper-cased as kubectl writes them. The
// plain view has the priority-0 columns; the wide view all of them, in the declared order.
import { DEFAULT_COLUMNS, kindDefinition, type PrinterColumn } from '../../api/kinds/index.js';
import type { KubeObject } from '../../api/types/meta.js';
import type { Clock } from './age.js';

export { nodeRoles, nodeStatus } from '../../api/kinds/node.js';
export { eventObject, eventTimes } from '../../api/kinds/event.js';

export interface RowOptions {
  wide: boolean;
  clock?: Clock;
}

export interface Columns {
  readonly columns: readonly PrinterColumn<KubeObject>[];
  /** One object's cells (any object of the kind: a Pod, a Node, ...). */
  row(obj: object, options: RowOptions): string[];
}

const shown = (columns: readonly PrinterColumn<KubeObject>[], wide: boolean) => columns.filter((c) => wide || c.priority === 0);

function columnsOf(columns: readonly PrinterColumn<KubeObject>[]): Columns {
  return {
    columns,
    row: (obj, { wide, clock }) => {
      const now = clock ? clock().getTime() : Date.now();
      return shown(columns, wide).map((c) => String(c.cell(obj as KubeObject, now)));
    },
  };
}

/** The columns of a kind; a kind skiff does not declare gets NAME and AGE, as kubectl's default printer. */
export function columnsFor(kind: string | undefined): Columns {
  return columnsOf(kindDefinition(kind)?.columns ?? DEFAULT_COLUMNS);
}

/** The headers of a kind's view. */
export function headersFor(columns: Columns, wide: boolean): string[] {
  return shown(columns.columns, wide).map((c) => c.name.toUpperCase());
}

export const podColumns = columnsFor('Pod');
export const nodeColumns = columnsFor('Node');
export const namespaceColumns = columnsFor('Namespace');
export const eventColumns = columnsFor('Event');
export const leaseColumns = columnsFor('Lease');
export const defaultColumns = columnsFor(undefined);
