import { digestOf } from './digest.js';
import { MediaTypes } from './media-types.js';

/** The OCI 1.1 empty descriptor's content: artifacts without a config of their own (SBOMs, databases) use it. */
export const EMPTY_CONFIG = Buffer.from('{}');

export const emptyConfigDescriptor = {
  mediaType: MediaTypes.ociEmpty,
  digest: digestOf(EMPTY_CONFIG),
  size: EMPTY_CONFIG.length,
} as const;
