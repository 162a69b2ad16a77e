/**
 * Windowing arithmetic of the virtualised lists (pure; no DOM): which rows of a long list a
 * scroll box of a given height shows at a given scroll offset, and where each row sits.
 *
 * A row layout maps row indices to vertical offsets. `fixedRows` has one height for every row
 * (closed form). `MeasuredRows` starts every row at an estimated height and takes measured heights
 * one row at a time; offsets and the row under a given y are answered from a Fenwick tree
 * (binary indexed tree) of the heights, O(log n) each, so 100,000 rows of different heights stay
 * cheap to scroll through.
 */

export interface RowLayout {
  /** Number of rows. */
  readonly count: number;
  /** Sum of all row heights: the height of the scrolled content. */
  readonly total: number;
  /** Top of row `row` (0 <= row <= count; offsetOf(count) === total). */
  offsetOf(row: number): number;
  /** Height of row `row`. */
  heightOf(row: number): number;
  /** The row that contains vertical position `y`, clamped to [0, count - 1]; -1 when there are no rows. */
  rowAt(y: number): number;
}

function checkCount(count: number): number {
  if (!Number.isInteger(count) || count < 0) throw new Error(`row count must be a non-negative integer, got ${count}`);
  return count;
}

function checkHeight(h: number, what: string): number {
  if (!Number.isFinite(h) || h < 0) throw new Error(`${what} must be a finite non-negative number, got ${h}`);
  return h;
}

/** Every row `rowHeight` pixels high. */
export function fixedRows(count: number, rowHeight: number): RowLayout {
  checkCount(count);
  checkHeight(rowHeight, 'row height');
  return {
    count,
    total: count * rowHeight,
    offsetOf: (row) => Math.max(0, Math.min(count, row)) * rowHeight,
    heightOf: () => rowHeight,
    rowAt: (y) => (count === 0 ? -1 : rowHeight <= 0 ? 0 : Math.max(0, Math.min(count - 1, Math.floor(y / rowHeight)))),
  };
}

/** Rows of measured heights; a row not measured yet counts as `estimate` high. */
export class MeasuredRows implements RowLayout {
  #count = 0;
  #heights = new Float64Array(0);
  /** Fenwick tree over #heights: #tree[j] (1-based) holds the sum of heights (j - lowbit(j), j]. */
  #tree = new Float64Array(1);
  #measured = new Uint8Array(0);
  #measuredCount = 0;
  #measuredSum = 0;
  #total = 0;
  readonly estimate: number;

  constructor(count: number, estimate: number) {
    this.estimate = checkHeight(estimate, 'estimated row height');
    this.resize(count);
  }

  get count(): number {
    return this.#count;
  }

  get total(): number {
    return this.#total;
  }

  /** Mean of the measured heights (the estimate when none is measured): a good estimate for a new layout. */
  meanMeasured(): number {
    return this.#measuredCount ? this.#measuredSum / this.#measuredCount : this.estimate;
  }

  heightOf(row: number): number {
    return this.#heights[row];
  }

  isMeasured(row: number): boolean {
    return this.#measured[row] === 1;
  }

  /**
   * Sets the height of `row`; returns how much it changed (new minus old), 0 when it did not.
   * Rows outside [0, count) are ignored (a measurement that arrives after the list shrank).
   */
  measure(row: number, height: number): number {
    checkHeight(height, 'row height');
    if (!Number.isInteger(row) || row < 0 || row >= this.#count) return 0;
    if (!this.#measured[row]) {
      this.#measured[row] = 1;
      this.#measuredCount++;
    } else this.#measuredSum -= this.#heights[row];
    this.#measuredSum += height;
    const delta = height - this.#heights[row];
    if (delta === 0) return 0;
    this.#heights[row] = height;
    this.#total += delta;
    const tree = this.#tree;
    for (let j = row + 1; j <= this.#count; j += j & -j) tree[j] += delta;
    return delta;
  }

  /** New row count: rows below `count` keep their heights, new rows start at the estimate. O(count). */
  resize(count: number): void {
    checkCount(count);
    const heights = new Float64Array(count);
    const measured = new Uint8Array(count);
    const keep = Math.min(count, this.#count);
    heights.set(this.#heights.subarray(0, keep));
    measured.set(this.#measured.subarray(0, keep));
    heights.fill(this.estimate, keep);
    let measuredCount = 0;
    let measuredSum = 0;
    for (let i = 0; i < keep; i++) {
      if (measured[i]) {
        measuredCount++;
        measuredSum += heights[i];
      }
    }
    // Linear-time Fenwick build: each node adds itself to its parent.
    const tree = new Float64Array(count + 1);
    for (let j = 1; j <= count; j++) {
      tree[j] += heights[j - 1];
      const parent = j + (j & -j);
      if (parent <= count) tree[parent] += tree[j];
    }
    let total = 0;
    for (let i = 0; i < count; i++) total += heights[i];
    this.#count = count;
    this.#heights = heights;
    this.#measured = measured;
    this.#tree = tree;
    this.#measuredCount = measuredCount;
    this.#measuredSum = measuredSum;
    this.#total = total;
  }

  offsetOf(row: number): number {
    let j = Math.max(0, Math.min(this.#count, Math.floor(row)));
    let sum = 0;
    for (; j > 0; j -= j & -j) sum += this.#tree[j];
    return sum;
  }

  rowAt(y: number): number {
    const n = this.#count;
    if (n === 0) return -1;
    if (!(y > 0)) return 0;
    // Largest number of whole rows whose heights sum to <= y (Fenwick descent); that count is the row holding y.
    let pos = 0;
    let rest = y;
    let step = 1;
    while (step * 2 <= n) step *= 2;
    for (; step > 0; step >>= 1) {
      const next = pos + step;
      if (next <= n && this.#tree[next] <= rest) {
        pos = next;
        rest -= this.#tree[next];
      }
    }
    return Math.min(pos, n - 1);
  }
}

export interface VisibleRows {
  /** First row to render (visible rows minus overscan). */
  start: number;
  /** One past the last row to render (exclusive). start === end when nothing is rendered. */
  end: number;
  /** First and last row that intersect the viewport (-1 when there are no rows). */
  firstVisible: number;
  lastVisible: number;
  /** The scroll offset the range was computed for, clamped to [0, total - viewportHeight]. */
  scrollTop: number;
}

/**
 * The rows to render for a viewport `viewportHeight` high scrolled to `scrollTop`: those that
 * intersect it plus `overscan` rows on each side, clamped to the list.
 */
export function visibleRows(layout: RowLayout, scrollTop: number, viewportHeight: number, overscan: number): VisibleRows {
  const n = layout.count;
  const height = Math.max(0, Number.isFinite(viewportHeight) ? viewportHeight : 0);
  const extra = Math.max(0, Math.floor(overscan));
  const maxTop = Math.max(0, layout.total - height);
  const top = Math.max(0, Math.min(maxTop, Number.isFinite(scrollTop) ? scrollTop : 0));
  if (n === 0) return { start: 0, end: 0, firstVisible: -1, lastVisible: -1, scrollTop: top };
  const firstVisible = layout.rowAt(top);
  // The bottom edge is exclusive: a row that starts exactly at top + height is not visible.
  let lastVisible = height > 0 ? layout.rowAt(top + height) : firstVisible;
  if (lastVisible > firstVisible && layout.offsetOf(lastVisible) >= top + height) lastVisible--;
  return {
    start: Math.max(0, firstVisible - extra),
    end: Math.min(n, lastVisible + 1 + extra),
    firstVisible,
    lastVisible,
    scrollTop: top,
  };
}

/** How many columns of at least `minWidth` pixels, `gap` pixels apart, fit in `width` (at least 1). */
export function columnsFor(width: number, minWidth: number, gap = 0): number {
  if (!(width > 0) || !(minWidth > 0)) return 1;
  return Math.max(1, Math.floor((width + gap) / (minWidth + gap)));
}

/** Rows needed for `items` items laid out `columns` per row. */
export function rowsFor(items: number, columns: number): number {
  return items <= 0 ? 0 : Math.ceil(items / Math.max(1, Math.floor(columns)));
}
