// The alignment kubectl's describe output gets from Go's text/tabwriter (minwidth 0,
// padding 2): tab-terminated cells line up within each block of consecutive lines that
// have that column, so "Name:" ... "IP:" align together and "Containers:" starts afresh.

const PADDING = 2;

function width(s: string): number {
  return [...s].length;
}

/** Aligns text whose cells are separated by "\t", the way tabwriter.Writer would. */
export function alignTabs(text: string): string {
  const lines = text.split('\n').map((l) => l.split('\t'));
  // text ending in "\n" leaves one empty line after the split; it stays empty.
  const out: string[] = [];
  const widths: number[] = [];

  const writeLines = (from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const line = lines[i] as string[];
      out.push(line.map((cell, j) => (j < widths.length && j < line.length - 1 ? cell + ' '.repeat((widths[j] as number) - width(cell)) : cell)).join(''));
    }
  };

  const format = (line0: number, line1: number): void => {
    const column = widths.length;
    let start = line0;
    for (let i = line0; i < line1; i++) {
      if (column >= (lines[i] as string[]).length - 1) continue;
      writeLines(start, i);
      start = i;
      let w = 0;
      for (; i < line1; i++) {
        const line = lines[i] as string[];
        if (column >= line.length - 1) break;
        w = Math.max(w, width(line[column] as string) + PADDING);
      }
      widths.push(w);
      format(start, i);
      widths.pop();
      start = i;
      i--;
    }
    writeLines(start, line1);
  };

  format(0, lines.length);
  return out.join('\n');
}

/** kubectl's PrefixWriter: each level indents by two spaces; the result goes through alignTabs. */
export class DescribeWriter {
  #text = '';

  write(level: number, text: string): void {
    this.#text += '  '.repeat(level) + text;
  }

  line(level: number, text: string): void {
    this.write(level, `${text}\n`);
  }

  toString(): string {
    return alignTabs(this.#text);
  }
}
