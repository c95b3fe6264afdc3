import { describe, expect, it } from 'vitest';
import { columnWidths, renderRows, renderTable } from './table.js';

describe('renderTable', () => {
  it('pads every column but the last to its widest cell plus three spaces', () => {
    const out = renderTable({
      headers: ['NAME', 'READY', 'STATUS'],
      rows: [
        ['kuard', '1/1', 'Running'],
        ['a-much-longer-name', '0/1', 'Pending'],
      ],
    });
    expect(out).toBe(
      'NAME                 READY   STATUS\n' +
        'kuard                1/1     Running\n' +
        'a-much-longer-name   0/1     Pending\n',
    );
  });

  it('keeps a column at least six wide and can leave out the headers', () => {
    expect(renderTable({ headers: ['A', 'B'], rows: [['x', 'y']] }, { noHeaders: true })).toBe('x     y\n');
  });

  it('prints nothing for nothing', () => {
    expect(renderTable({ headers: [], rows: [] }, { noHeaders: true })).toBe('');
  });
});

describe('renderRows', () => {
  it('keeps later rows in the first table\'s columns, padding cells that outgrow them', () => {
    expect(renderRows([['kuard', '1/1', 'Running']], [8, 6])).toBe('kuard   1/1   Running\n');
    expect(renderRows([['a-longer-name', '1/1', 'Running']], [8, 6])).toBe('a-longer-name   1/1   Running\n');
    expect(columnWidths([['NAME', 'READY', 'STATUS'], ['kuard', '1/1', 'Running']])).toEqual([8, 8]);
  });
});
