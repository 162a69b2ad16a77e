/**
 * Sorting for the comparison table (pure). Missing values (null, undefined, NaN) always sort last,
 * in either direction; ties keep the original order (stable); text compares with numeric collation
 * ("set 2" before "set 10").
 */

export type SortDirection = 'ascending' | 'descending';
export type SortValue = number | string | null | undefined;

const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

function missing(v: SortValue): boolean {
  return v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v));
}

/** Compare two present values ascending (numbers before text when mixed). */
export function compareValues(a: Exclude<SortValue, null | undefined>, b: Exclude<SortValue, null | undefined>): number {
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'number') return -1;
  if (typeof b === 'number') return 1;
  return collator.compare(a, b);
}

/** A sorted copy of `rows` by `value(row)` in `direction`; see the file header for the rules. */
export function sortRows<T>(rows: readonly T[], value: (row: T) => SortValue, direction: SortDirection): T[] {
  const sign = direction === 'ascending' ? 1 : -1;
  const keyed = rows.map((row, index) => ({ row, index, v: value(row) }));
  keyed.sort((x, y) => {
    const mx = missing(x.v);
    const my = missing(y.v);
    if (mx || my) return mx === my ? x.index - y.index : mx ? 1 : -1;
    const c = compareValues(x.v as Exclude<SortValue, null | undefined>, y.v as Exclude<SortValue, null | undefined>);
    return c !== 0 ? sign * c : x.index - y.index;
  });
  return keyed.map((k) => k.row);
}

/** The sort state after a click on column `key`: a new column sorts in its preferred direction, the same column flips. */
export function nextSort(
  current: { key: string; direction: SortDirection } | null,
  key: string,
  preferred: SortDirection = 'descending',
): { key: string; direction: SortDirection } {
  if (!current || current.key !== key) return { key, direction: preferred };
  return { key, direction: current.direction === 'ascending' ? 'descending' : 'ascending' };
}
