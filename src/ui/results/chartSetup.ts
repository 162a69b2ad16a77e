/**
 * Chart.js for the results views, tree-shaken: only the controllers, elements, scales and plugins
 * the views use are registered. Animations are off (charts appear at once and print as drawn), and
 * every chart is resized around printing so the printed canvas matches the printed layout.
 */
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Filler,
  Legend,
  LinearScale,
  LineElement,
  PointElement,
  RadarController,
  RadialLinearScale,
  ScatterController,
  Tooltip,
  type ChartConfiguration,
  type Plugin,
} from 'chart.js';

Chart.register(
  RadarController, ScatterController, BarController,
  RadialLinearScale, LinearScale, CategoryScale,
  PointElement, LineElement, BarElement,
  Filler, Legend, Tooltip,
);

Chart.defaults.animation = false;
Chart.defaults.responsive = true;
Chart.defaults.maintainAspectRatio = false;
Chart.defaults.color = '#17202a';
Chart.defaults.borderColor = '#d9dee5';
Chart.defaults.font.family = "system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', sans-serif";
Chart.defaults.font.size = 12;

/** At least 2 device pixels per CSS pixel, so charts stay sharp on paper. */
export function chartPixelRatio(): number {
  return Math.max(2, typeof window === 'undefined' ? 1 : window.devicePixelRatio || 1);
}

let printHooked = false;
/** Resize every chart when the page is laid out for printing and back. */
export function hookPrinting(): void {
  if (printHooked || typeof window === 'undefined') return;
  printHooked = true;
  const resizeAll = () => {
    for (const chart of Object.values(Chart.instances)) chart.resize();
  };
  window.addEventListener('beforeprint', resizeAll);
  window.addEventListener('afterprint', resizeAll);
  window.matchMedia?.('print').addEventListener?.('change', resizeAll);
}

interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

const overlaps = (a: Box, b: Box) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;

/**
 * Draws each dataset's label beside its points (scatter plots), so a printout names the sets
 * without relying on colour. Each label takes the first of six places around its point that
 * overlaps no other label or point and stays inside the canvas.
 */
export const pointLabels: Plugin<'scatter'> = {
  id: 'synthlensPointLabels',
  afterDatasetsDraw(chart) {
    const { ctx } = chart;
    ctx.save();
    ctx.font = `11px ${Chart.defaults.font.family}`;
    ctx.fillStyle = '#17202a';
    ctx.textAlign = 'left';
    ctx.textBaseline = 'top';
    const h = 13;
    const pts: { x: number; y: number; text: string }[] = [];
    chart.data.datasets.forEach((ds, i) => {
      const meta = chart.getDatasetMeta(i);
      if (meta.hidden) return;
      for (const el of meta.data) {
        const { x, y } = el.getProps(['x', 'y'], true) as { x: number; y: number };
        if (Number.isFinite(x) && Number.isFinite(y)) pts.push({ x, y, text: String(ds.label ?? '') });
      }
    });
    const obstacles: Box[] = pts.map((p) => ({ x: p.x - 7, y: p.y - 7, w: 14, h: 14 }));
    const inside = (b: Box) => b.x >= 0 && b.y >= 0 && b.x + b.w <= chart.width && b.y + b.h <= chart.height;
    for (const p of pts) {
      const w = ctx.measureText(p.text).width;
      const candidates: Box[] = [
        { x: p.x + 9, y: p.y - 6 - h, w, h },
        { x: p.x + 9, y: p.y + 6, w, h },
        { x: p.x - 9 - w, y: p.y - 6 - h, w, h },
        { x: p.x - 9 - w, y: p.y + 6, w, h },
        { x: p.x - w / 2, y: p.y - 10 - h, w, h },
        { x: p.x - w / 2, y: p.y + 10, w, h },
      ];
      const own = (b: Box) => b.x === p.x - 7 && b.y === p.y - 7;
      const free = candidates.find((c) => inside(c) && !obstacles.some((o) => !own(o) && overlaps(c, o)));
      const box = free ?? candidates.find(inside) ?? candidates[0];
      ctx.fillText(p.text, box.x, box.y);
      obstacles.push(box);
    }
    ctx.restore();
  },
};

/** A vertical dashed line at position `at` of the x axis (category index units), with a label. */
export function verticalMarker(at: number, label: string, colour = '#17202a'): Plugin<'bar'> {
  return {
    id: 'synthlensVerticalMarker',
    afterDatasetsDraw(chart) {
      const x = chart.scales.x.getPixelForValue(at);
      const { top, bottom, left, right } = chart.chartArea;
      if (!Number.isFinite(x) || x < left - 1 || x > right + 1) return;
      const { ctx } = chart;
      ctx.save();
      ctx.strokeStyle = colour;
      ctx.lineWidth = 1.5;
      ctx.setLineDash([5, 4]);
      ctx.beginPath();
      ctx.moveTo(x, top);
      ctx.lineTo(x, bottom);
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = colour;
      ctx.font = `11px ${Chart.defaults.font.family}`;
      ctx.textBaseline = 'top';
      const w = ctx.measureText(label).width;
      const toLeft = x + 4 + w > right;
      ctx.textAlign = toLeft ? 'right' : 'left';
      ctx.fillText(label, toLeft ? x - 4 : x + 4, top + 2);
      ctx.restore();
    },
  };
}

const queue: (() => void)[] = [];
let pumping = false;

function pump(): void {
  const t0 = performance.now();
  // At least one chart per turn; more while the turn stays short, so no frame is long.
  do queue.shift()!();
  while (queue.length && performance.now() - t0 < 12);
  if (queue.length) nextTurn();
  else pumping = false;
}

function nextTurn(): void {
  if (typeof requestAnimationFrame === 'function') requestAnimationFrame(() => setTimeout(pump, 0));
  else setTimeout(pump, 0);
}

/**
 * Queue a chart's creation: charts are built a few per frame after the page has painted, so
 * mounting many charts never blocks the main thread for long. Returns a function that unqueues it.
 */
export function scheduleChart(task: () => void): () => void {
  queue.push(task);
  if (!pumping) {
    pumping = true;
    nextTurn();
  }
  return () => {
    const i = queue.indexOf(task);
    if (i >= 0) queue.splice(i, 1);
  };
}

export type AnyChartConfig = ChartConfiguration<'radar'> | ChartConfiguration<'scatter'> | ChartConfiguration<'bar'>;

export { Chart };
