import { describe, expect, it } from 'vitest';
import { nextSort, sortRows } from '../../../src/ui/results/sort.ts';

interface Row { name: string; v: number | null }
const rows: Row[] = [
  { name: 'set 10', v: 0.5 },
  { name: 'set 2', v: null },
  { name: 'Set 1', v: 0.9 },
  { name: 'set 3', v: 0.5 },
  { name: 'set 4', v: NaN },
  { name: 'set 5', v: -1 },
];

describe('sortRows', () => {
  it('sorts numbers ascending and descending with missing values last and ties stable', () => {
    expect(sortRows(rows, (r) => r.v, 'ascending').map((r) => r.name)).toEqual(['set 5', 'set 10', 'set 3', 'Set 1', 'set 2', 'set 4']);
    expect(sortRows(rows, (r) => r.v, 'descending').map((r) => r.name)).toEqual(['Set 1', 'set 10', 'set 3', 'set 5', 'set 2', 'set 4']);
  });
  it('sorts text with numeric, case-insensitive collation', () => {
    expect(sortRows(rows, (r) => r.name, 'ascending').map((r) => r.name)).toEqual(['Set 1', 'set 2', 'set 3', 'set 4', 'set 5', 'set 10']);
    expect(sortRows(rows, (r) => r.name, 'descending')[0].name).toBe('set 10');
  });
  it('does not modify its input', () => {
    const copy = rows.slice();
    sortRows(rows, (r) => r.v, 'ascending');
    expect(rows).toEqual(copy);
  });
});

describe('nextSort', () => {
  it('starts a new column in its preferred direction and flips the same column', () => {
    expect(nextSort(null, 'fid', 'ascending')).toEqual({ key: 'fid', direction: 'ascending' });
    expect(nextSort({ key: 'fid', direction: 'ascending' }, 'fid')).toEqual({ key: 'fid', direction: 'descending' });
    expect(nextSort({ key: 'fid', direction: 'descending' }, 'fid')).toEqual({ key: 'fid', direction: 'ascending' });
    expect(nextSort({ key: 'fid', direction: 'ascending' }, 'privacy')).toEqual({ key: 'privacy', direction: 'descending' });
  });
});
