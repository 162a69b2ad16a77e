/** Settings as a user sets them in the app: a custom TF.js model folder loaded, and its options typed. */
import { expect } from 'vitest';
import type { Page } from 'playwright-core';

export interface TypedModelOptions {
  layer?: string;
  inputSize: number;
  channels: 1 | 3;
  normalise: 'zero-one' | 'minus-one-one' | 'imagenet';
}

/** Opens Advanced, loads the model folder through the custom-model input, waits until it is the extractor, types the options. */
export async function loadCustomModel(page: Page, folder: string, o: TypedModelOptions): Promise<void> {
  await page.click('[data-testid=settings] summary');
  await page.setInputFiles('[data-testid=custom-model-input]', folder);
  await expect.poll(() => page.locator('[data-testid=setting-extractor]').inputValue()).toBe('custom');
  if (o.layer !== undefined) await page.getByLabel('Output layer / node').fill(o.layer);
  await page.getByLabel('Input size (px)').fill(String(o.inputSize));
  await page.getByLabel('Channels').selectOption(String(o.channels));
  await page.getByLabel('Input normalisation').selectOption(o.normalise);
}
