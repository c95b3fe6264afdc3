// The image history as `docker history` shows it: one row per config history entry, oldest
// first here (the printer reverses), entries with `empty_layer` (ENV, CMD, LABEL, ...) at 0 B
// and every other entry paired with the next layer of the manifest in order. Images whose
// history does not line up with their layers (hand-made, or history dropped) get one row per
// layer with what is known.
import type { OciImageConfig } from '../../runtime/images/media-types.js';

export interface LayerInfo {
  index: number;
  digest: string;
  diffId?: string;
  mediaType: string;
  /** Bytes of the (compressed) blob, as shipped by a registry. */
  compressedSize: number;
  /** Bytes of the uncompressed tar stream. */
  tarSize: number;
  /** Bytes of regular file content in the layer (what `docker history` calls the size). */
  size: number;
  entries: number;
}

export interface HistoryRow {
  created?: string;
  createdBy: string;
  comment?: string;
  emptyLayer: boolean;
  /** Index of the layer this entry made (undefined for empty layers). */
  layer?: number;
  /** Layer content bytes (0 for empty layers). */
  size: number;
}

export function historyRows(config: OciImageConfig, layers: LayerInfo[]): HistoryRow[] {
  const history = config.history ?? [];
  const nonEmpty = history.filter((h) => !h.empty_layer).length;
  if (history.length === 0 || nonEmpty !== layers.length) {
    return layers.map((l) => ({ createdBy: '', emptyLayer: false, layer: l.index, size: l.size, comment: history.length ? 'history does not match the layers' : undefined, created: config.created }));
  }
  let next = 0;
  return history.map((h) => {
    const row: HistoryRow = { createdBy: h.created_by ?? '', emptyLayer: h.empty_layer === true, size: 0 };
    if (h.created !== undefined) row.created = h.created;
    if (h.comment !== undefined) row.comment = h.comment;
    if (!row.emptyLayer) {
      row.layer = next;
      row.size = layers[next].size;
      next++;
    }
    return row;
  });
}

/** The history line of each layer (for messages such as "added by COPY big /big"). */
export function layerCreatedBy(rows: HistoryRow[]): Map<number, string> {
  const out = new Map<number, string>();
  for (const r of rows) if (r.layer !== undefined) out.set(r.layer, r.createdBy);
  return out;
}

/** A history line as the Dockerfile said it: "#(nop) COPY ..." -> "COPY ...", "/bin/sh -c X" -> "RUN X". */
export function instructionOf(createdBy: string): string {
  const nop = /^\/bin\/sh -c #\(nop\)\s*/.exec(createdBy);
  if (nop) return createdBy.slice(nop[0].length);
  const sh = /^(?:\|\d+ .*?)?\/bin\/sh -c /.exec(createdBy);
  // With build args the classic builder writes "|1 K=V /bin/sh -c ..."; keep them (they may be the finding).
  if (sh) return `RUN ${createdBy.startsWith('|') ? createdBy : createdBy.slice(sh[0].length)}`;
  return createdBy;
}
