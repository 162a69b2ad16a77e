/** The utility section of the results (src/ui/utility); the app shell mounts UtilitySection with the run's result. */
export { default as UtilitySection } from './UtilitySection.svelte';
export { default as UtilitySetEntry } from './UtilitySetEntry.svelte';
export { default as UtilitySettings } from './UtilitySettings.svelte';
export { default as SeedTable } from './SeedTable.svelte';
export * from './utilityView.ts';
