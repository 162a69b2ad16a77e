/**
 * Selection logic of the privacy audit (pure; no DOM): which synthetic-real pairs to show, in
 * which order. Definitions: shared/design/METRICS.md ("Fidelity F and privacy P"): a synthetic
 * image is a copy when it lies strictly inside some real image's copy ball (closer to that real
 * than the real's nearest other real image).
 *
 * Order: every copy-set member first (assignment 0), then the others; within each group by
 * distance to the nearest real (ascending), ties by set order, then by image index. The first
 * `limit` pairs are found with a bounded max-heap (O(N log limit), no full sort), so a run with
 * 100k images per set stays responsive when a filter or the limit changes; they come back as row
 * references (selectPairOrder), and the view makes AuditPair objects only for the rows it shows.
 */
import { ASSIGNMENT_NAMES, type SetAssignments } from '../../core/report/csv.ts';
import type { RunResult } from '../../app/types.ts';

export type AssignmentName = (typeof ASSIGNMENT_NAMES)[number];

/** One synthetic set's assignments, in display order. */
export interface AuditSource {
  name: string;
  a: SetAssignments;
}

export interface PairFilter {
  /** Only this synthetic set (null or undefined: every set). */
  set?: string | null;
  /** Only synthetic images with this class label (null or undefined: every class). */
  label?: string | null;
}

export interface AuditPair {
  /** Synthetic set name and the image's row index, id and label in it. */
  set: string;
  index: number;
  id: string;
  label: string | null;
  assignment: AssignmentName;
  /**
   * The real image shown beside the synthetic one: for a copy, the real whose copy ball holds it
   * (when known); otherwise the nearest real.
   */
  realIndex: number;
  realId: string;
  realLabel: string | null;
  /**
   * 'nearest': the shown real is the nearest real image (for a copy, also the one whose copy ball
   * holds it, or the copy ball is not known). 'copy-ball': a copy whose copy ball belongs to a real
   * other than its nearest one; distance, rho1 and rhoK below are still those of the nearest real.
   */
  relation: 'nearest' | 'copy-ball';
  /** The nearest real image: index, id, and the distance to it. */
  nearestIndex: number;
  nearestId: string;
  distance: number;
  /** rho_1 and rho_k of the nearest real image. */
  rho1: number;
  rhoK: number;
}

export interface PairSelection {
  /** The first `limit` pairs in audit order. */
  pairs: AuditPair[];
  /** Images that pass the filter, and how many of them are copies. */
  matched: number;
  copies: number;
}

/** The synthetic sets' assignments in the order of result.sets, then any set only in assignments. */
export function auditSources(result: Pick<RunResult, 'sets' | 'assignments'>): AuditSource[] {
  const out: AuditSource[] = [];
  const seen = new Set<string>();
  for (const s of result.sets) {
    const a = result.assignments[s.name];
    if (s.role === 'synthetic' && a && !seen.has(s.name)) {
      out.push({ name: s.name, a });
      seen.add(s.name);
    }
  }
  for (const [name, a] of Object.entries(result.assignments)) {
    if (!seen.has(name)) {
      out.push({ name, a });
      seen.add(name);
    }
  }
  return out;
}

/** The name of the real reference set (the SetSummary with role 'real'), or null. */
export function realSetName(result: Pick<RunResult, 'sets'>): string | null {
  return result.sets.find((s) => s.role === 'real')?.name ?? null;
}

/** Sort key of a distance: NaN sorts last. */
function distKey(d: number): number {
  return Number.isNaN(d) ? Infinity : d;
}

/**
 * True when pair (s1, i1) comes after pair (s2, i2) in audit order (copies first, then distance,
 * set order, index).
 */
function after(src: readonly AuditSource[], s1: number, i1: number, s2: number, i2: number): boolean {
  const a1 = src[s1].a;
  const a2 = src[s2].a;
  const g1 = a1.set[i1] === 0 ? 0 : 1;
  const g2 = a2.set[i2] === 0 ? 0 : 1;
  if (g1 !== g2) return g1 > g2;
  const d1 = distKey(a1.distance[i1]);
  const d2 = distKey(a2.distance[i2]);
  if (d1 !== d2) return d1 > d2;
  if (s1 !== s2) return s1 > s2;
  return i1 > i2;
}

/** The pair of row `i` of source `s`. */
export function pairAt(src: AuditSource, i: number): AuditPair {
  const a = src.a;
  const nearest = a.nearestReal[i];
  const code = a.set[i];
  const ball = code === 0 && a.copyOf ? a.copyOf[i] : -1;
  const shown = ball >= 0 ? ball : nearest;
  return {
    set: src.name,
    index: i,
    id: a.ids[i],
    label: a.labels ? a.labels[i] : null,
    assignment: ASSIGNMENT_NAMES[code] ?? 'non-real',
    realIndex: shown,
    realId: a.realIds[shown],
    realLabel: a.realLabels ? a.realLabels[shown] : null,
    relation: ball >= 0 && ball !== nearest ? 'copy-ball' : 'nearest',
    nearestIndex: nearest,
    nearestId: a.realIds[nearest],
    distance: a.distance[i],
    rho1: a.rho1[i],
    rhoK: a.rhoK[i],
  };
}

/** The first pairs in audit order, as row references (no AuditPair objects: make those with pairAt for the rows shown). */
export interface PairOrder {
  /** The j-th pair is row `row[j]` of source `source[j]` (index into the sources passed in); both have `length` entries. */
  source: Int32Array;
  row: Int32Array;
  length: number;
  /** Images that pass the filter, and how many of them are copies. */
  matched: number;
  copies: number;
}

/**
 * The first `limit` pairs in audit order among the images that pass `filter`, with the counts of
 * matching images and copies. A small `limit` (under 1/64 of the matches): one pass with a bounded
 * max-heap of size `limit` (O(N log limit)); a larger one: every match sorted (sortAll), then cut.
 * Only typed arrays are made, so 100,000 pairs cost 800 kB here; the AuditPair objects are made
 * for the rows on screen (pairAt). The order for a limit is a prefix of the order for any larger one.
 */
export function selectPairOrder(sources: readonly AuditSource[], filter: PairFilter, limit: number): PairOrder {
  const cap = Math.max(0, Math.floor(limit));
  const wanted = (s: number) => filter.set == null || sources[s].name === filter.set;
  let matched = 0;
  let copies = 0;
  for (let s = 0; s < sources.length; s++) {
    if (!wanted(s)) continue;
    const a = sources[s].a;
    if (filter.label != null && !a.labels) continue;
    for (let i = 0, n = a.ids.length; i < n; i++) {
      if (filter.label != null && a.labels![i] !== filter.label) continue;
      matched++;
      if (a.set[i] === 0) copies++;
    }
  }
  if (cap * 64 > matched) {
    const all = sortAll(sources, filter, matched);
    const length = Math.min(cap, matched);
    return { source: all.source.subarray(0, length), row: all.row.subarray(0, length), length, matched, copies };
  }

  // Max-heap (the pair that comes last in audit order at the top) of at most `cap` entries.
  const hs = new Int32Array(cap);
  const hi = new Int32Array(cap);
  let size = 0;

  const siftUp = (pos: number) => {
    const s = hs[pos];
    const i = hi[pos];
    while (pos > 0) {
      const parent = (pos - 1) >> 1;
      if (!after(sources, s, i, hs[parent], hi[parent])) break;
      hs[pos] = hs[parent];
      hi[pos] = hi[parent];
      pos = parent;
    }
    hs[pos] = s;
    hi[pos] = i;
  };
  const siftDown = (pos: number) => {
    const s = hs[pos];
    const i = hi[pos];
    for (;;) {
      let child = 2 * pos + 1;
      if (child >= size) break;
      if (child + 1 < size && after(sources, hs[child + 1], hi[child + 1], hs[child], hi[child])) child++;
      if (!after(sources, hs[child], hi[child], s, i)) break;
      hs[pos] = hs[child];
      hi[pos] = hi[child];
      pos = child;
    }
    hs[pos] = s;
    hi[pos] = i;
  };

  if (cap > 0) {
    for (let s = 0; s < sources.length; s++) {
      if (!wanted(s)) continue;
      const a = sources[s].a;
      const labels = a.labels;
      if (filter.label != null && !labels) continue;
      for (let i = 0, n = a.ids.length; i < n; i++) {
        if (filter.label != null && labels![i] !== filter.label) continue;
        if (size < cap) {
          hs[size] = s;
          hi[size] = i;
          siftUp(size++);
        } else if (after(sources, hs[0], hi[0], s, i)) {
          hs[0] = s;
          hi[0] = i;
          siftDown(0);
        }
      }
    }
  }

  const order = Array.from({ length: size }, (_, j) => j);
  order.sort((x, y) => (after(sources, hs[x], hi[x], hs[y], hi[y]) ? 1 : after(sources, hs[y], hi[y], hs[x], hi[x]) ? -1 : 0));
  const source = new Int32Array(size);
  const row = new Int32Array(size);
  order.forEach((j, k) => {
    source[k] = hs[j];
    row[k] = hi[j];
  });
  return { source, row, length: size, matched, copies };
}

/** The first `limit` pairs of an order (views on its arrays, no copy). */
export function prefixOrder(o: PairOrder, limit: number): PairOrder {
  const length = Math.max(0, Math.min(o.length, Math.floor(limit)));
  return { source: o.source.subarray(0, length), row: o.row.subarray(0, length), length, matched: o.matched, copies: o.copies };
}

/** Largest number of matches whose sort keys (below) are exact integers in a float64. */
const MAX_KEYED = 2 ** 26;

/**
 * Every match (`matched` of them) in audit order. Each match gets one integer key,
 * (group * U + rank of its distance among the U distinct distances) * matched + its position in
 * the (set, index) enumeration, so one native numeric sort of the keys (no comparator) gives the
 * order (group, distance, set, index) exactly; beyond MAX_KEYED matches, a comparator sort.
 */
function sortAll(sources: readonly AuditSource[], filter: PairFilter, matched: number): Pick<PairOrder, 'source' | 'row' | 'length'> {
  // Matches in (set, index) order, so a tie on (group, distance) is broken by the position in this enumeration.
  const ms = new Int32Array(matched);
  const mi = new Int32Array(matched);
  const group = new Uint8Array(matched);
  const dist = new Float64Array(matched);
  let m = 0;
  for (let s = 0; s < sources.length; s++) {
    if (filter.set != null && sources[s].name !== filter.set) continue;
    const a = sources[s].a;
    if (filter.label != null && !a.labels) continue;
    for (let i = 0, n = a.ids.length; i < n; i++) {
      if (filter.label != null && a.labels![i] !== filter.label) continue;
      ms[m] = s;
      mi[m] = i;
      group[m] = a.set[i] === 0 ? 0 : 1;
      dist[m] = distKey(a.distance[i]);
      m++;
    }
  }
  const source = new Int32Array(matched);
  const row = new Int32Array(matched);
  if (matched > MAX_KEYED) {
    const perm = new Int32Array(matched);
    for (let j = 0; j < matched; j++) perm[j] = j;
    perm.sort((x, y) => group[x] - group[y] || (dist[x] < dist[y] ? -1 : dist[x] > dist[y] ? 1 : 0) || x - y);
    for (let k = 0; k < matched; k++) {
      source[k] = ms[perm[k]];
      row[k] = mi[perm[k]];
    }
    return { source, row, length: matched };
  }
  // The distinct distances, ascending (Infinity, from NaN, last).
  const distinct = dist.slice().sort();
  let u = 0;
  for (let j = 0; j < matched; j++) if (u === 0 || distinct[j] !== distinct[u - 1]) distinct[u++] = distinct[j];
  const keys = new Float64Array(matched);
  for (let e = 0; e < matched; e++) {
    // Rank of dist[e] among distinct[0..u): binary search (it is present).
    const d = dist[e];
    let lo = 0;
    let hi = u - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (distinct[mid] < d) lo = mid + 1;
      else hi = mid;
    }
    keys[e] = (group[e] * u + lo) * matched + e;
  }
  keys.sort();
  for (let k = 0; k < matched; k++) {
    const e = keys[k] % matched;
    source[k] = ms[e];
    row[k] = mi[e];
  }
  return { source, row, length: matched };
}

/**
 * The first `limit` pairs in audit order among the images that pass `filter`, as AuditPair
 * objects, with the counts of matching images and copies (selectPairOrder, then pairAt for each).
 */
export function selectPairs(sources: readonly AuditSource[], filter: PairFilter, limit: number): PairSelection {
  const o = selectPairOrder(sources, filter, limit);
  const pairs: AuditPair[] = new Array(o.length);
  for (let j = 0; j < o.length; j++) pairs[j] = pairAt(sources[o.source[j]], o.row[j]);
  return { pairs, matched: o.matched, copies: o.copies };
}

/** Class labels offered by the class filter: those of `set` (or of every set), sorted. */
export function auditClasses(sets: readonly { name: string; classes: Record<string, number> }[], set: string | null): string[] {
  const out = new Set<string>();
  for (const s of sets) if (set == null || s.name === set) for (const c of Object.keys(s.classes)) out.add(c);
  return [...out].sort();
}
