/** The built-in extractors offered in the settings (from the registry). */
import { listExtractors } from '../extractors/registry';

export const EXTRACTOR_CHOICES = listExtractors();
