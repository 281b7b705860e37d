import { type RandomSource } from '@ztp/protocol';

/** Random bytes for GUIDs, session tokens, API keys and key ids (crypto.randomBytes in production). */
export const RANDOM_SOURCE = Symbol('RANDOM_SOURCE');
export type { RandomSource };
