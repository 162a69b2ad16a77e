import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFINITIONS, definitionHref, definitionId } from '../../../src/ui/results/definitions.ts';

/** Whitespace collapsed, markdown code and emphasis marks removed. */
const normalise = (s: string) => s.replace(/[`*]/g, '').replace(/\s+/g, ' ').trim();
const metricsMd = normalise(readFileSync(new URL('../../../docs/METRICS.md', import.meta.url), 'utf8'));

describe('metric definitions', () => {
  it('quote docs/METRICS.md verbatim', () => {
    for (const d of DEFINITIONS) {
      expect(d.definition.length, d.key).toBeGreaterThan(0);
      for (const passage of d.definition) expect(metricsMd.includes(normalise(passage)), `${d.key}: ${passage}`).toBe(true);
    }
  });
  it('have unique keys, a one-line explanation and a reference', () => {
    const keys = DEFINITIONS.map((d) => d.key);
    expect(new Set(keys).size).toBe(keys.length);
    for (const d of DEFINITIONS) {
      expect(d.short.length).toBeGreaterThan(20);
      expect(d.short).not.toContain('\n');
      expect(d.reference.length).toBeGreaterThan(10);
    }
    expect(definitionId('fid')).toBe('def-fid');
    expect(definitionHref('vendi')).toBe('#def-vendi');
  });
  it('cover every metric the views show', () => {
    const keys = new Set<string>(DEFINITIONS.map((d) => d.key));
    for (const k of ['fidelity', 'privacy', 'fidelityPrivacy', 'privacyCalibration', 'modeCollapse', 'variety', 'featureStd', 'utility',
      'crossTask', 'tstr', 'precision', 'recall', 'density', 'coverage', 'fid', 'kid', 'dcr', 'memorizationRate', 'vendi']) {
      expect(keys.has(k), k).toBe(true);
    }
  });
});
