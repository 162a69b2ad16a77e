/**
 * Dev harness for the virtualised lists (not part of the production build): mounts the set panel,
 * a run's skipped files and the privacy audit with ?n= items each (default 100,000); see
 * virtual.fixture.ts. When done, <body data-ready="true">; window.__timings holds the mount times (ms).
 */
import '../src/ui/global.css';
import '../src/ui/print.css';
import { mountLists } from './virtual.fixture.ts';

const n = Number(new URLSearchParams(location.search).get('n') ?? 100_000);
const status = document.getElementById('status')!;

mountLists(document.getElementById('app')!, n)
  .then((times) => {
    (window as unknown as { __timings: Record<string, number> }).__timings = times;
    status.textContent = `${n.toLocaleString('en')} items per list; mounted in ${Object.entries(times)
      .map(([k, v]) => `${k} ${v.toFixed(0)} ms`)
      .join(', ')}.`;
    document.body.dataset.ready = 'true';
  })
  .catch((e: unknown) => {
    status.textContent = `Failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`;
    document.body.dataset.ready = 'error';
  });
