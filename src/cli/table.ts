/**
 * The readable summary the CLI prints: one column per synthetic set, one row per metric.
 */
import type { Report, SetMetrics } from '../core/report/schema.ts';

function fmt(x: number | null | undefined, digits = 4): string {
  if (x === null || x === undefined) return '-';
  if (Number.isInteger(x) && Math.abs(x) < 1e9) return String(x);
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return x.toExponential(digits - 1);
  return x.toFixed(digits);
}

const ROWS: [string, (m: SetMetrics) => string][] = [
  ['fidelity F', (m) => fmt(m.fidelity)],
  ['privacy P', (m) => fmt(m.privacy)],
  ['fidelity x privacy F^p', (m) => fmt(m.fidelityPrivacy)],
  ['holdout P (calibration)', (m) => fmt(m.holdoutPrivacy)],
  ['holdout F', (m) => fmt(m.holdoutFidelity)],
  ['mode-collapse rule', (m) => (m.modeCollapseRuleApplied ? 'applied' : 'no')],
  ['feature std', (m) => fmt(m.featureStd)],
  ['precision', (m) => fmt(m.precision)],
  ['recall', (m) => fmt(m.recall)],
  ['density', (m) => fmt(m.density)],
  ['coverage', (m) => fmt(m.coverage)],
  ['FID', (m) => fmt(m.fid)],
  ['KID mean', (m) => fmt(m.kid?.mean)],
  ['KID std', (m) => fmt(m.kid?.std)],
  ['DCR min', (m) => fmt(m.dcr.min)],
  ['DCR p5', (m) => fmt(m.dcr.p5)],
  ['DCR median', (m) => fmt(m.dcr.median)],
  ['holdout DCR p5', (m) => fmt(m.holdoutDcr?.p5)],
  ['memorisation rate', (m) => fmt(m.memorizationRate)],
  ['Vendi', (m) => fmt(m.vendi)],
  ['variety PNG bytes', (m) => fmt(m.variety?.pngBytes)],
  ['variety score', (m) => fmt(m.variety?.score)],
];

function grid(header: string[], rows: string[][]): string {
  const widths = header.map((h, j) => Math.max(h.length, ...rows.map((r) => r[j].length)));
  const line = (cells: string[]) => cells.map((c, j) => (j === 0 ? c.padEnd(widths[j]) : c.padStart(widths[j]))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n') + '\n';
}

function classesText(c: Record<string, number>): string {
  const e = Object.entries(c);
  return e.length ? ` (${e.map(([l, n]) => `${l}: ${n}`).join(', ')})` : '';
}

/** The whole summary: inputs, the pooled table, per-class tables, warnings. */
export function formatReport(report: Report): string {
  const out: string[] = [];
  const c = report.config;
  out.push(`SynthLens ${report.app.version} - ${c.featureKind} features, d = ${c.dim}, k = ${c.k}, tau = ${c.tau}, seed = ${c.seed}, backend ${c.backend}`);
  out.push(`real: ${report.real.count} rows${classesText(report.real.classes)}`);
  if (report.holdout) out.push(`holdout: ${report.holdout.count} rows${classesText(report.holdout.classes)}`);
  for (const s of report.sets) out.push(`${s.name}: ${s.count} rows${classesText(s.classes)}`);
  out.push('');
  const header = ['metric', ...report.sets.map((s) => s.name)];
  out.push(grid(header, ROWS.map(([name, f]) => [name, ...report.sets.map((s) => f(s.metrics))])));
  const labels = [...new Set(report.sets.flatMap((s) => Object.keys(s.perClass)))].sort();
  for (const label of labels) {
    const sets = report.sets.filter((s) => s.perClass[label]);
    out.push(`class "${label}"`);
    out.push(grid(['metric', ...sets.map((s) => s.name)], ROWS.filter(([n]) => !n.startsWith('variety')).map(([name, f]) => [name, ...sets.map((s) => f(s.perClass[label]))])));
  }
  const warnings = [...report.warnings, ...report.sets.flatMap((s) => s.warnings.map((w) => `${s.name}: ${w}`))];
  if (warnings.length) {
    out.push('notes:');
    for (const w of warnings) out.push(`  - ${w}`);
    out.push('');
  }
  const t = report.timings;
  out.push(`time: ${(((t.read ?? 0) + (t.total ?? 0)) / 1000).toFixed(2)} s (reading ${((t.read ?? 0) / 1000).toFixed(2)} s, metrics ${((t.total ?? 0) / 1000).toFixed(2)} s)`);
  return out.join('\n') + '\n';
}
