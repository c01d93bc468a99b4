import assert from 'node:assert/strict';
import { it } from 'node:test';
import { fuzzyMatchingFingerprint } from '../../query/index.js';
import { NORMALIZED_NAMES_FINGERPRINT } from './normalized-names.js';

it('the stored *_norm columns were computed with today\'s fuzzy-matching normalization', () => {
  assert.equal(
    fuzzyMatchingFingerprint(),
    NORMALIZED_NAMES_FINGERPRINT,
    'The fuzzy-matching normalization changed (kanji variants, rules or the platform NFKC): rows indexed before would no longer match. ' +
      'Add a migration that calls recomputeNormalizedNames (src/index/migrations/normalized-names.ts), then set NORMALIZED_NAMES_FINGERPRINT to the new value.',
  );
});
