/**
 * Test-only page (served by the Vite dev server in the e2e suite, never built into the app): the
 * virtualised lists with ?n= items each (default 100,000), mounted by the dev harness's fixture
 * (dev/virtual.fixture.ts). <body data-ready="1"> when mounted; window.__timings: mount times (ms).
 */
import '../../../src/ui/global.css';
import { mountLists } from '../../../dev/virtual.fixture.ts';

const n = Number(new URLSearchParams(location.search).get('n') ?? 100_000);
mountLists(document.getElementById('app')!, n).then(
  (times) => {
    (window as unknown as { __timings: Record<string, number> }).__timings = times;
    document.body.dataset.ready = '1';
  },
  (e: unknown) => {
    document.body.dataset.ready = 'error';
    document.body.dataset.error = e instanceof Error ? e.message : String(e);
  },
);
