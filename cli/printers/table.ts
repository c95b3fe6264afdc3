// Column alignment as kubectl's tabwriter does it (minwidth 6, padding 3, spaces): every
// column but the last is as wide as its widest cell plus three spaces, at least six.

export interface TableData {
  /** Upper-case headers, e.g. ["NAME", "READY", "STATUS"]. */
  headers: string[];
  rows: string[][];
}

const MIN_WIDTH = 6;
const PADDING = 3;

/** Display width: East Asian wide characters would need more care; names here are ASCII. */
function width(s: string): number {
  return [...s].length;
}

/** The width of every column but the last, for these lines. */
export function columnWidths(lines: string[][]): number[] {
  const columns = Math.max(0, ...lines.map((l) => l.length));
  const widths: number[] = [];
  for (let c = 0; c < columns - 1; c++) widths[c] = Math.max(MIN_WIDTH, ...lines.map((l) => width(l[c] ?? '') + PADDING));
  return widths;
}

/**
 * Renders lines with given widths; a cell wider than its column still gets the padding,
 * so rows printed later (get -w) stay readable when they outgrow the first table.
 */
export function renderRows(lines: string[][], widths: number[]): string {
  return lines
    .map((line) =>
      line
        .map((cell, c) => (c === line.length - 1 ? cell : cell + ' '.repeat(Math.max(PADDING, (widths[c] ?? 0) - width(cell)))))
        .join(''),
    )
    .map((l) => `${l}\n`)
    .join('');
}

/** Renders headers (unless `noHeaders`) and rows as aligned text, one line each, ending in "\n". */
export function renderTable(table: TableData, options: { noHeaders?: boolean } = {}): string {
  const lines = options.noHeaders ? table.rows : [table.headers, ...table.rows];
  return renderRows(lines, columnWidths(lines));
}
