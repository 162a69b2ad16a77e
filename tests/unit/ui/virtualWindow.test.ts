import { describe, expect, it } from 'vitest';
import { columnsFor, fixedRows, MeasuredRows, rowsFor, visibleRows, type RowLayout } from '../../../src/ui/common/virtualWindow.ts';
import { createRng } from '../../../src/core/random.ts';

/** Reference offsets: a plain running sum. */
function offsets(heights: number[]): number[] {
  const out = [0];
  for (const h of heights) out.push(out[out.length - 1] + h);
  return out;
}

/** Reference row at y: linear scan for offsets[r] <= y < offsets[r + 1] (zero-height rows skipped to the last one starting at or before y). */
function rowAtRef(heights: number[], y: number): number {
  if (heights.length === 0) return -1;
  const o = offsets(heights);
  let r = 0;
  for (let i = 0; i < heights.length; i++) if (o[i] <= y) r = i;
  return r;
}

describe('visibleRows with a fixed row height', () => {
  // 1,000 rows of 20 px, a 100 px viewport: 5 rows visible at a time.
  const layout = fixedRows(1000, 20);

  it('first and last visible row, with no overscan', () => {
    expect(visibleRows(layout, 0, 100, 0)).toEqual({ start: 0, end: 5, firstVisible: 0, lastVisible: 4, scrollTop: 0 });
    // Scrolled by 30 px: row 1 is partly visible at the top (20-40), row 6 (120-140) partly at the bottom.
    expect(visibleRows(layout, 30, 100, 0)).toEqual({ start: 1, end: 7, firstVisible: 1, lastVisible: 6, scrollTop: 30 });
    // Exactly on a row boundary: row 10 starts at 200 and row 15 starts at 300 (not visible: the bottom edge is exclusive).
    expect(visibleRows(layout, 200, 100, 0)).toMatchObject({ firstVisible: 10, lastVisible: 14 });
  });

  it('adds overscan rows on both sides', () => {
    expect(visibleRows(layout, 200, 100, 3)).toMatchObject({ start: 7, end: 18, firstVisible: 10, lastVisible: 14 });
  });

  it('clamps at the start and at the end', () => {
    expect(visibleRows(layout, 0, 100, 3)).toMatchObject({ start: 0, end: 8 });
    expect(visibleRows(layout, -50, 100, 3)).toMatchObject({ start: 0, end: 8, scrollTop: 0 });
    // The last possible scroll offset is 20,000 - 100 = 19,900: rows 995..999 visible.
    const end = visibleRows(layout, 19_900, 100, 3);
    expect(end).toEqual({ start: 992, end: 1000, firstVisible: 995, lastVisible: 999, scrollTop: 19_900 });
    // Scrolled past the end (a list that just shrank): clamped to the last screenful.
    expect(visibleRows(layout, 1e9, 100, 3)).toEqual(end);
    expect(visibleRows(layout, NaN, 100, 3)).toMatchObject({ start: 0, scrollTop: 0 });
  });

  it('handles zero items', () => {
    expect(visibleRows(fixedRows(0, 20), 0, 100, 5)).toEqual({ start: 0, end: 0, firstVisible: -1, lastVisible: -1, scrollTop: 0 });
    expect(visibleRows(fixedRows(0, 20), 500, 100, 5)).toMatchObject({ start: 0, end: 0 });
    expect(new MeasuredRows(0, 30).rowAt(10)).toBe(-1);
    expect(visibleRows(new MeasuredRows(0, 30), 0, 100, 2)).toMatchObject({ start: 0, end: 0, firstVisible: -1 });
  });

  it('a list shorter than the viewport renders every row', () => {
    expect(visibleRows(fixedRows(3, 20), 0, 500, 4)).toEqual({ start: 0, end: 3, firstVisible: 0, lastVisible: 2, scrollTop: 0 });
  });

  it('follows a viewport resize', () => {
    expect(visibleRows(layout, 400, 100, 0)).toMatchObject({ firstVisible: 20, lastVisible: 24 });
    expect(visibleRows(layout, 400, 400, 0)).toMatchObject({ firstVisible: 20, lastVisible: 39 });
    // A zero-height viewport (not laid out yet) still names the row at the scroll offset.
    expect(visibleRows(layout, 400, 0, 2)).toMatchObject({ start: 18, end: 23, firstVisible: 20, lastVisible: 20 });
  });

  it('renders a bounded number of rows for 100,000 items wherever it is scrolled', () => {
    const big = fixedRows(100_000, 24);
    for (const top of [0, 1234.5, 1_200_000, 2_399_000, 2_400_000]) {
      const v = visibleRows(big, top, 800, 5);
      expect(v.end - v.start).toBeLessThanOrEqual(Math.ceil(800 / 24) + 1 + 10);
      expect(v.end).toBeGreaterThan(v.start);
    }
    expect(visibleRows(big, 2_400_000, 800, 5)).toMatchObject({ lastVisible: 99_999, end: 100_000 });
  });

  it('fixedRows offsets and rowAt', () => {
    expect(layout.total).toBe(20_000);
    expect(layout.offsetOf(0)).toBe(0);
    expect(layout.offsetOf(7)).toBe(140);
    expect(layout.offsetOf(1000)).toBe(20_000);
    expect(layout.rowAt(139.9)).toBe(6);
    expect(layout.rowAt(140)).toBe(7);
    expect(layout.rowAt(-5)).toBe(0);
    expect(layout.rowAt(1e9)).toBe(999);
    expect(() => fixedRows(-1, 20)).toThrow();
    expect(() => fixedRows(3, NaN)).toThrow();
  });
});

describe('MeasuredRows', () => {
  it('starts every row at the estimate, like a fixed layout', () => {
    const m = new MeasuredRows(50, 30);
    const f = fixedRows(50, 30);
    expect(m.total).toBe(f.total);
    for (const y of [0, 29, 30, 31, 745, 1499, 1500, 9999]) expect(m.rowAt(y)).toBe(f.rowAt(y));
    for (const r of [0, 1, 17, 49, 50]) expect(m.offsetOf(r)).toBe(f.offsetOf(r));
    expect(visibleRows(m, 95, 100, 1)).toEqual(visibleRows(f, 95, 100, 1));
  });

  it('hand case: measured heights move the rows below', () => {
    const m = new MeasuredRows(5, 10); // 0,10,20,30,40 | total 50
    expect(m.measure(1, 25)).toBe(15); // heights 10,25,10,10,10
    expect(m.measure(1, 25)).toBe(0);
    expect(m.measure(3, 0)).toBe(-10); // heights 10,25,10,0,10
    expect(m.total).toBe(55);
    expect([0, 1, 2, 3, 4, 5].map((r) => m.offsetOf(r))).toEqual([0, 10, 35, 45, 45, 55]);
    expect(m.rowAt(9.99)).toBe(0);
    expect(m.rowAt(10)).toBe(1);
    expect(m.rowAt(34)).toBe(1);
    expect(m.rowAt(35)).toBe(2);
    // y = 45 is the top of the zero-height row 3 and of row 4: row 4 holds it.
    expect(m.rowAt(45)).toBe(4);
    expect(m.rowAt(1000)).toBe(4);
    expect(m.isMeasured(1) && m.isMeasured(3) && !m.isMeasured(0)).toBe(true);
    expect(m.meanMeasured()).toBe(12.5);
    // Rows outside the list are ignored.
    expect(m.measure(5, 100)).toBe(0);
    expect(m.measure(-1, 100)).toBe(0);
    expect(m.total).toBe(55);
    expect(() => m.measure(0, -1)).toThrow();
  });

  it('matches running sums on random heights (offsets, rowAt, visible range)', () => {
    const rand = createRng(3);
    const n = 1537;
    const m = new MeasuredRows(n, 40);
    const heights = new Array<number>(n).fill(40);
    for (let step = 0; step < 3000; step++) {
      const r = Math.floor(rand() * n);
      const h = Math.round(rand() * 200) / 2;
      m.measure(r, h);
      heights[r] = h;
    }
    const o = offsets(heights);
    expect(m.total).toBeCloseTo(o[n], 6);
    for (let r = 0; r <= n; r += 7) expect(m.offsetOf(r)).toBeCloseTo(o[r], 6);
    for (let t = 0; t < 400; t++) {
      const y = rand() * o[n];
      expect(m.rowAt(y)).toBe(rowAtRef(heights, y));
    }
    for (let t = 0; t < 100; t++) {
      const top = rand() * o[n];
      const v = visibleRows(m, top, 300, 2);
      const ref = visibleRows(referenceLayout(heights), top, 300, 2);
      expect(v).toEqual(ref);
      // Every visible row really intersects the viewport, and its neighbours outside do not.
      const t0 = v.scrollTop;
      expect(o[v.firstVisible] <= t0 && t0 < o[v.firstVisible + 1]).toBe(true);
      expect(o[v.lastVisible]).toBeLessThan(t0 + 300 + 1e-9);
    }
  });

  it('resize keeps the measured rows and adds estimated ones', () => {
    const m = new MeasuredRows(4, 10);
    m.measure(0, 50);
    m.measure(3, 5);
    m.resize(6); // 50,10,10,5,10,10
    expect(m.count).toBe(6);
    expect(m.total).toBe(95);
    expect(m.offsetOf(4)).toBe(75);
    expect(m.isMeasured(3)).toBe(true);
    expect(m.isMeasured(4)).toBe(false);
    m.resize(2); // 50,10
    expect(m.total).toBe(60);
    expect(m.meanMeasured()).toBe(50);
    m.resize(0);
    expect([m.total, m.rowAt(3), m.meanMeasured()]).toEqual([0, -1, 10]);
    m.resize(3);
    expect(m.total).toBe(30);
    expect(() => m.resize(1.5)).toThrow();
  });

  it('100,000 rows: offsets stay exact after many measurements', () => {
    const n = 100_000;
    const m = new MeasuredRows(n, 24);
    for (let r = 0; r < n; r += 3) m.measure(r, 48);
    // Rows 0, 3, 6, ... are 48 high, the others 24: every 3 rows take 96 px.
    expect(m.total).toBe(33_334 * 48 + 66_666 * 24);
    expect(m.offsetOf(30_000)).toBe(10_000 * 96);
    expect(m.rowAt(10_000 * 96 + 47)).toBe(30_000);
    expect(m.rowAt(10_000 * 96 + 48)).toBe(30_001);
    expect(visibleRows(m, m.total, 600, 4)).toMatchObject({ lastVisible: n - 1, end: n });
  });
});

/** Running-sum layout built independently of the Fenwick tree. */
function referenceLayout(heights: number[]): RowLayout {
  const o = offsets(heights);
  return {
    count: heights.length,
    total: o[heights.length],
    offsetOf: (r) => o[Math.max(0, Math.min(heights.length, r))],
    heightOf: (r) => heights[r],
    rowAt: (y) => rowAtRef(heights, y),
  };
}

describe('grid helpers', () => {
  it('columnsFor fits columns of a minimum width with gaps', () => {
    expect(columnsFor(1200, 400, 10)).toBe(2); // 3 columns need 3*400 + 2*10 = 1220
    expect(columnsFor(1220, 400, 10)).toBe(3);
    expect(columnsFor(390, 400, 10)).toBe(1);
    expect(columnsFor(0, 400)).toBe(1);
    expect(columnsFor(800, 0)).toBe(1);
  });

  it('rowsFor rounds up', () => {
    expect(rowsFor(0, 3)).toBe(0);
    expect(rowsFor(1, 3)).toBe(1);
    expect(rowsFor(100_000, 3)).toBe(33_334);
    expect(rowsFor(7, 0)).toBe(7);
  });
});
