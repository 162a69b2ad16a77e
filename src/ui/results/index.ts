/** The results views of SynthLens: everything shown for one finished run (see ResultsView). */
export { default as ResultsView } from './ResultsView.svelte';
export { default as Definitions } from './Definitions.svelte';
export { DEFINITIONS, definitionHref, definitionId, type MetricDefinition, type MetricKey } from './definitions.ts';
