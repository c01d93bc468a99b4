import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { AUDIT_ACTIONS } from './actions.js';
import { canonicalJson, canonicalSerialization, chainHash, draftOf, GENESIS_HASH } from './record.js';
import { sampleEvent, steppingClock } from './testing/sample-events.js';

describe('audit record canonical form', () => {
  it('sorts keys at every level and writes no whitespace', () => {
    assert.equal(canonicalJson({ b: [2, { d: 1, c: null }], a: 'é"' }), '{"a":"é\\"","b":[2,{"c":null,"d":1}]}');
  });

  it('hashes SHA-256(prev hash bytes ‖ canonical UTF-8), as documented', () => {
    const draft = draftOf(sampleEvent(3), { clock: steppingClock(), newEventId: () => '00000000-0000-4000-8000-000000000000' });
    const event = { ...draft, seq: 1 };
    const expected = createHash('sha256').update(Buffer.alloc(32)).update(Buffer.from(canonicalSerialization(event), 'utf8')).digest('hex');
    assert.equal(chainHash(GENESIS_HASH, event), expected);
    assert.notEqual(chainHash(GENESIS_HASH, { ...event, seq: 2 }), expected, 'seq is inside the hash');
    assert.match(canonicalSerialization(event), /^\{"action":"query","actor":\{"attemptedLoginName":"nobody","kind":"anonymous"\},"breakGlass":false,/);
  });

  it('refuses a detail value that JSON cannot carry faithfully', () => {
    assert.throws(() => draftOf({ ...sampleEvent(1), detail: { ratio: Number.NaN } }, { clock: steppingClock() }), TypeError);
  });

  it('docs/AUDIT.md lists every action with its EventID and type code', () => {
    const doc = readFileSync(fileURLToPath(new URL('../../docs/AUDIT.md', import.meta.url)), 'utf8');
    for (const [action, mapping] of Object.entries(AUDIT_ACTIONS)) {
      const type = mapping.eventType === null ? '—' : `${mapping.eventType.code} ${mapping.eventType.meaning}`;
      assert.ok(doc.includes(`| \`${action}\` | ${mapping.eventId.code} ${mapping.eventId.meaning} | ${type} | ${mapping.eventActionCode} |`), action);
    }
  });
});
