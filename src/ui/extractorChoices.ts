/** The built-in extractors offered in the settings (from the registry). */
import { listExtractors } from '../extractors/specs';

export const EXTRACTOR_CHOICES = listExtractors();
