import { describe, expect, it } from 'vitest';
import type { RunResult, SetAssignments, SetSummary } from '../../../src/app/types.ts';
import { auditClasses, auditSources, realSetName, selectPairs, type AuditSource } from '../../../src/ui/audit/pairs.ts';
import { createRng } from '../../../src/core/random.ts';

/** Assignments from plain arrays (rho1 = 10 + row, rhoK = 20 + row of the nearest real, so they can be checked). */
function assign(rows: { d: number; set: 0 | 1 | 2; nearest: number; copyOf?: number; label?: string }[], opts: { copyOf?: boolean; labels?: boolean } = {}): SetAssignments {
  const realIds = ['r0', 'r1', 'r2', 'r3'];
  return {
    nearestReal: Int32Array.from(rows.map((r) => r.nearest)),
    distance: Float64Array.from(rows.map((r) => r.d)),
    rho1: Float64Array.from(rows.map((r) => 10 + r.nearest)),
    rhoK: Float64Array.from(rows.map((r) => 20 + r.nearest)),
    set: Uint8Array.from(rows.map((r) => r.set)),
    copyOf: opts.copyOf === false ? null : Int32Array.from(rows.map((r) => r.copyOf ?? (r.set === 0 ? r.nearest : -1))),
    ids: rows.map((_, i) => `img${i}`),
    labels: opts.labels === false ? null : rows.map((r) => r.label ?? 'a'),
    realIds,
    realLabels: ['a', 'b', 'a', 'b'],
  };
}

const A = assign([
  { d: 0.5, set: 1, nearest: 0, label: 'a' }, // 0
  { d: 0.1, set: 0, nearest: 1, copyOf: 2, label: 'b' }, // 1: copy, copy ball of r2 (nearest r1)
  { d: 0.9, set: 2, nearest: 2, label: 'a' }, // 2
  { d: 0.3, set: 0, nearest: 3, label: 'b' }, // 3: copy of its nearest
  { d: 0.2, set: 1, nearest: 0, label: 'a' }, // 4
]);
const B = assign([
  { d: 0.05, set: 1, nearest: 1, label: 'a' }, // 0
  { d: 0.3, set: 0, nearest: 0, label: 'a' }, // 1: copy, same distance as A#3 (tie: set order)
  { d: NaN, set: 2, nearest: 0, label: 'b' }, // 2: NaN sorts last
  { d: 0.2, set: 1, nearest: 3, label: 'b' }, // 3: tie with A#4
]);
const SOURCES: AuditSource[] = [
  { name: 'A', a: A },
  { name: 'B', a: B },
];
const keys = (sel: ReturnType<typeof selectPairs>) => sel.pairs.map((p) => `${p.set}${p.index}`);

describe('selectPairs (hand cases)', () => {
  it('orders copies first, then by distance, ties by set order then index, NaN last', () => {
    const sel = selectPairs(SOURCES, {}, 100);
    expect(keys(sel)).toEqual(['A1', 'A3', 'B1', 'B0', 'A4', 'B3', 'A0', 'A2', 'B2']);
    expect(sel.matched).toBe(9);
    expect(sel.copies).toBe(3);
  });

  it('keeps the first `limit` pairs and still counts every match', () => {
    expect(keys(selectPairs(SOURCES, {}, 4))).toEqual(['A1', 'A3', 'B1', 'B0']);
    expect(keys(selectPairs(SOURCES, {}, 1))).toEqual(['A1']);
    const none = selectPairs(SOURCES, {}, 0);
    expect(none.pairs).toEqual([]);
    expect([none.matched, none.copies]).toEqual([9, 3]);
  });

  it('filters by set and by class label', () => {
    expect(keys(selectPairs(SOURCES, { set: 'B' }, 10))).toEqual(['B1', 'B0', 'B3', 'B2']);
    const b = selectPairs(SOURCES, { label: 'b' }, 10);
    expect(keys(b)).toEqual(['A1', 'A3', 'B3', 'B2']);
    expect([b.matched, b.copies]).toEqual([4, 2]);
    expect(keys(selectPairs(SOURCES, { set: 'A', label: 'a' }, 10))).toEqual(['A4', 'A0', 'A2']);
    expect(selectPairs(SOURCES, { set: 'nope' }, 10).matched).toBe(0);
  });

  it('an unlabelled set matches no class filter', () => {
    const src = [{ name: 'U', a: assign([{ d: 1, set: 1, nearest: 0 }], { labels: false }) }];
    expect(selectPairs(src, { label: 'a' }, 10).matched).toBe(0);
    const all = selectPairs(src, {}, 10);
    expect(all.matched).toBe(1);
    expect(all.pairs[0].label).toBeNull();
  });

  it('shows the copy-ball real for a copy, says which it is, and keeps the nearest real numbers', () => {
    const [ball, own] = selectPairs(SOURCES, { set: 'A' }, 2).pairs;
    expect(ball).toEqual({
      set: 'A', index: 1, id: 'img1', label: 'b', assignment: 'copy',
      realIndex: 2, realId: 'r2', realLabel: 'a', relation: 'copy-ball',
      nearestIndex: 1, nearestId: 'r1', distance: 0.1, rho1: 11, rhoK: 21,
    });
    expect(own).toMatchObject({ index: 3, assignment: 'copy', realIndex: 3, realId: 'r3', relation: 'nearest', nearestIndex: 3, rho1: 13, rhoK: 23 });
    const nonCopy = selectPairs(SOURCES, { set: 'A' }, 10).pairs.find((p) => p.index === 2)!;
    expect(nonCopy).toMatchObject({ assignment: 'non-real', realId: 'r2', relation: 'nearest', distance: 0.9 });
    expect(selectPairs(SOURCES, { set: 'A' }, 10).pairs.find((p) => p.index === 0)!.assignment).toBe('real');
  });

  it('falls back to the nearest real when copyOf is unknown (null)', () => {
    const src = [{ name: 'X', a: assign([{ d: 0.1, set: 0, nearest: 1 }], { copyOf: false }) }];
    expect(selectPairs(src, {}, 1).pairs[0]).toMatchObject({ assignment: 'copy', realId: 'r1', relation: 'nearest' });
  });
});

/** Reference: a full sort with an independently written comparator. */
function reference(sources: AuditSource[], filter: { set?: string; label?: string }, limit: number): string[] {
  const all: { s: number; i: number; g: number; d: number }[] = [];
  sources.forEach((src, s) => {
    if (filter.set && src.name !== filter.set) return;
    for (let i = 0; i < src.a.ids.length; i++) {
      if (filter.label && src.a.labels?.[i] !== filter.label) continue;
      const d = src.a.distance[i];
      all.push({ s, i, g: src.a.set[i] === 0 ? 0 : 1, d: Number.isNaN(d) ? Infinity : d });
    }
  });
  all.sort((x, y) => x.g - y.g || (x.d < y.d ? -1 : x.d > y.d ? 1 : 0) || x.s - y.s || x.i - y.i);
  return all.slice(0, limit).map((e) => `${sources[e.s].name}${e.i}`);
}

function randomSource(name: string, n: number, rand: () => number): AuditSource {
  const rows = Array.from({ length: n }, () => {
    const u = rand();
    return {
      // Quantised distances so that ties occur; a few NaN.
      d: u < 0.01 ? NaN : Math.round(rand() * 50) / 50,
      set: (u < 0.2 ? 0 : u < 0.7 ? 1 : 2) as 0 | 1 | 2,
      nearest: Math.floor(rand() * 4),
      label: rand() < 0.5 ? 'a' : 'b',
    };
  });
  return { name, a: assign(rows) };
}

describe('selectPairs against a full sort', () => {
  it('matches on random sets with ties, for several limits and filters', () => {
    const rand = createRng(7);
    const sources = [randomSource('s1', 400, rand), randomSource('s2', 250, rand), randomSource('s3', 1, rand)];
    for (const filter of [{}, { set: 's2' }, { label: 'b' }, { set: 's1', label: 'a' }]) {
      for (const limit of [1, 2, 7, 50, 120, 651, 2000]) {
        expect(keys(selectPairs(sources, filter, limit))).toEqual(reference(sources, filter, limit));
      }
    }
  });

  it('handles a set of 100,000 images', () => {
    const rand = createRng(11);
    const n = 100_000;
    const a: SetAssignments = {
      ...assign([]),
      nearestReal: new Int32Array(n),
      distance: Float64Array.from({ length: n }, () => Math.round(rand() * 1000) / 1000),
      rho1: new Float64Array(n),
      rhoK: new Float64Array(n),
      set: Uint8Array.from({ length: n }, () => (rand() < 0.1 ? 0 : 1)),
      copyOf: new Int32Array(n).fill(-1),
      ids: Array.from({ length: n }, (_, i) => `img${i}`),
      labels: null,
    };
    const sources = [{ name: 'big', a }, randomSource('small', 300, rand)];
    const sel = selectPairs(sources, {}, 150);
    expect(keys(sel)).toEqual(reference(sources, {}, 150));
    expect(sel.matched).toBe(100_300);
    expect(sel.copies).toBe(a.set.filter((v) => v === 0).length + sources[1].a.set.filter((v) => v === 0).length);
  });
});

describe('sources, real set and classes', () => {
  const sets = (specs: [string, SetSummary['role'], Record<string, number>][]): SetSummary[] =>
    specs.map(([name, role, classes]) => ({ name, role, classes, count: 1, skipped: [], cached: 0, embedded: 1, meanImage: null }));

  it('orders sources like result.sets (synthetic only), then sets only in assignments', () => {
    const result = {
      sets: sets([['R', 'real', {}], ['H', 'holdout', {}], ['s2', 'synthetic', {}], ['s1', 'synthetic', {}], ['gone', 'synthetic', {}]]),
      assignments: { s1: A, extra: B, s2: B },
    } as Pick<RunResult, 'sets' | 'assignments'>;
    expect(auditSources(result).map((s) => s.name)).toEqual(['s2', 's1', 'extra']);
    expect(auditSources(result)[0].a).toBe(B);
    expect(realSetName(result)).toBe('R');
    expect(realSetName({ sets: [] })).toBeNull();
  });

  it('lists the classes of one set or of all, sorted', () => {
    const s: { name: string; classes: Record<string, number> }[] = [{ name: 'a', classes: { z: 1, m: 2 } }, { name: 'b', classes: { b: 3, m: 1 } }, { name: 'c', classes: {} }];
    expect(auditClasses(s, null)).toEqual(['b', 'm', 'z']);
    expect(auditClasses(s, 'a')).toEqual(['m', 'z']);
    expect(auditClasses(s, 'c')).toEqual([]);
  });
});
