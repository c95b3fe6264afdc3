// Text forms of the layer report: the rows of `skiff image history` (docker history's columns,
// newest first) and the body of `skiff image inspect --waste`. Tables are laid out by the
// caller (cmd/), which owns the terminal conventions shared with the other verbs.
import { describeFinding, humanBytes, type ImageReport } from './analyze.js';
import { instructionOf } from './history.js';
import { redactLine, SECRET_RULES } from './secrets.js';

export const HISTORY_HEADER = ['IMAGE', 'CREATED', 'CREATED BY', 'SIZE', 'COMMENT'];

export interface HistoryFormatOptions {
  /** Full IDs and full CREATED BY lines. */
  noTrunc?: boolean;
  /** Human sizes and ages (default), or bytes and RFC 3339 times. */
  human?: boolean;
  /** Turns a creation time into "3 days ago". */
  ago: (iso: string | undefined) => string;
}

/** docker truncates CREATED BY to 45 characters with an ellipsis. */
const CREATED_BY_WIDTH = 45;

export function historyTableRows(report: ImageReport, options: HistoryFormatOptions): string[][] {
  const human = options.human ?? true;
  const rows = [...report.history].reverse();
  return rows.map((h, i) => {
    // Only the top entry is an image skiff has; the layers below were never tagged (docker prints <missing>).
    const image = i === 0 ? (options.noTrunc ? report.id : report.id.replace(/^sha256:/, '').slice(0, 12)) : '<missing>';
    const created = human ? options.ago(h.created) : (h.created ?? 'N/A');
    const by = h.createdBy.replace(/\s+/g, ' ');
    const createdBy = options.noTrunc || by.length <= CREATED_BY_WIDTH ? by : `${by.slice(0, CREATED_BY_WIDTH - 1)}…`;
    return [image, created, createdBy, human ? humanBytes(h.size) : String(h.size), h.comment ?? ''];
  });
}

/** The `inspect --waste` report: sizes, wasted files, secrets. Sizes in bytes too, for scripts that grep. */
export function wasteReport(report: ImageReport): { summary: string[]; wasteRows: string[][]; secretRows: string[][] } {
  const step = (i: number) => {
    const by = report.history.find((h) => h.layer === i)?.createdBy ?? '';
    const line = redactLine(SECRET_RULES, instructionOf(by)).replace(/\s+/g, ' ');
    return `${i + 1}${line ? `: ${line.length > 40 ? `${line.slice(0, 39)}…` : line}` : ''}`;
  };
  const summary = [
    `Image: ${report.ref ?? report.id} (${report.id.replace(/^sha256:/, '').slice(0, 12)}), ${report.layers.length} layers`,
    `Total size: ${humanBytes(report.size.compressed)} compressed (${report.size.compressed} bytes), ${humanBytes(report.size.uncompressed)} uncompressed (${report.size.uncompressed} bytes)`,
    `Wasted: ${humanBytes(report.waste.totalBytes)} (${report.waste.totalBytes} bytes) in ${report.waste.entries.length} file(s), about ${humanBytes(report.waste.estimatedCompressedBytes)} of the compressed layers`,
    `Possible secrets: ${report.secrets.length}`,
  ];
  const wasteRows = report.waste.entries.map((w) => [w.path, humanBytes(w.size), step(w.layer), `${step(w.hiddenBy)} (${w.how})`]);
  const secretRows = report.secrets.map((s) => [s.description, describeFinding(report, s)]);
  return { summary, wasteRows, secretRows };
}

export const WASTE_HEADER = ['PATH', 'SIZE', 'ADDED IN LAYER', 'HIDDEN BY LAYER'];
export const SECRET_HEADER = ['SECRET', 'WHERE'];
