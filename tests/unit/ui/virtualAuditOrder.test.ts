/**
 * The audit's pair order as row references (selectPairOrder), which the virtualised audit list reads
 * one visible row at a time: checked against an independent full sort at 30,000 images with
 * distance ties and NaN, through both of its paths (bounded heap for a small limit, one keyed sort
 * of every match for a large one), and the prefix property that "show more" relies on.
 */
import { describe, expect, it } from 'vitest';
import type { SetAssignments } from '../../../src/app/types.ts';
import { createRng } from '../../../src/core/random.ts';
import { pairAt, prefixOrder, selectPairOrder, selectPairs, type AuditSource, type PairFilter } from '../../../src/ui/audit/pairs.ts';

function source(name: string, n: number, rand: () => number): AuditSource {
  const labels = Array.from({ length: n }, () => (rand() < 0.4 ? 'effusion' : 'normal'));
  const a: SetAssignments = {
    // Distances on a coarse grid (many ties), a few NaN; 5 % copies.
    distance: Float64Array.from({ length: n }, () => (rand() < 0.002 ? NaN : Math.round(rand() * 2000) / 1000)),
    set: Uint8Array.from({ length: n }, () => (rand() < 0.05 ? 0 : rand() < 0.7 ? 1 : 2)),
    nearestReal: Int32Array.from({ length: n }, () => Math.floor(rand() * 10)),
    copyOf: null,
    rho1: new Float64Array(n),
    rhoK: new Float64Array(n),
    ids: Array.from({ length: n }, (_, i) => `${name}/img_${i}.png`),
    labels,
    realIds: Array.from({ length: 10 }, (_, i) => `real/${i}.png`),
    realLabels: null,
  };
  return { name, a };
}

/** Reference: every match as an object, Array.prototype.sort with a comparator written from the definition. */
function reference(sources: AuditSource[], filter: PairFilter): string[] {
  const all: { key: string; copy: number; d: number; s: number; i: number }[] = [];
  sources.forEach((src, s) => {
    if (filter.set && src.name !== filter.set) return;
    src.a.ids.forEach((id, i) => {
      if (filter.label && src.a.labels?.[i] !== filter.label) return;
      const d = src.a.distance[i];
      all.push({ key: id, copy: src.a.set[i] === 0 ? 0 : 1, d: Number.isNaN(d) ? Infinity : d, s, i });
    });
  });
  all.sort((x, y) => x.copy - y.copy || (x.d === y.d ? 0 : x.d < y.d ? -1 : 1) || x.s - y.s || x.i - y.i);
  return all.map((e) => e.key);
}

const ids = (sources: AuditSource[], o: ReturnType<typeof selectPairOrder>) =>
  Array.from({ length: o.length }, (_, j) => sources[o.source[j]].a.ids[o.row[j]]);

describe('selectPairOrder at 30,000 images', () => {
  const rand = createRng(23);
  const sources = [source('a', 18_000, rand), source('b', 12_000, rand)];
  const full = reference(sources, {});

  it('matches a full sort for a small limit (heap), a large one and every match (keyed sort)', () => {
    // The heap serves limits up to 30,000 / 64 = 468.
    for (const limit of [1, 50, 468, 469, 5_000, 29_999, 30_000, Infinity]) {
      const o = selectPairOrder(sources, {}, limit);
      expect(o.matched).toBe(30_000);
      expect(o.length).toBe(Math.min(limit, 30_000));
      expect(ids(sources, o)).toEqual(full.slice(0, o.length));
    }
  });

  it('counts copies and honours the filters', () => {
    const o = selectPairOrder(sources, { set: 'b', label: 'effusion' }, Infinity);
    const ref = reference(sources, { set: 'b', label: 'effusion' });
    expect(ids(sources, o)).toEqual(ref);
    expect(o.matched).toBe(ref.length);
    let copies = 0;
    sources[1].a.labels!.forEach((l, i) => (copies += l === 'effusion' && sources[1].a.set[i] === 0 ? 1 : 0));
    expect(o.copies).toBe(copies);
    // Every copy comes before every non-copy.
    const firstNonCopy = Array.from(o.row).findIndex((r) => sources[1].a.set[r] !== 0);
    expect(firstNonCopy).toBe(copies);
  });

  it('the order for a limit is a prefix of the order for any larger one ("show more" only appends)', () => {
    const all = selectPairOrder(sources, { label: 'normal' }, Infinity);
    for (const limit of [50, 400, 3_000]) {
      const o = selectPairOrder(sources, { label: 'normal' }, limit);
      const p = prefixOrder(all, limit);
      expect(Array.from(o.source)).toEqual(Array.from(p.source));
      expect(Array.from(o.row)).toEqual(Array.from(p.row));
      expect([p.length, p.matched, p.copies]).toEqual([limit, all.matched, all.copies]);
    }
    expect(prefixOrder(all, 1e9).length).toBe(all.length);
    expect(prefixOrder(all, -3).length).toBe(0);
  });

  it('selectPairs makes the same pairs as pairAt on the order', () => {
    const o = selectPairOrder(sources, {}, 20);
    const pairs = selectPairs(sources, {}, 20).pairs;
    expect(pairs).toEqual(Array.from({ length: 20 }, (_, j) => pairAt(sources[o.source[j]], o.row[j])));
  });
});
