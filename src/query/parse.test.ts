import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { QUERY_ATTRIBUTES } from './attributes.js';
import { matcherOf, timeUpperBound } from './matchers.js';
import type { Query } from './model.js';
import { parseCFindIdentifier, type IdentifierElement } from './parse-cfind.js';
import { parseQidoQuery } from './parse-qido.js';
import { responseCharacterSet, toIdentifierElements } from './results.js';

const id = (entries: Record<string, string | null>): Map<string, IdentifierElement> => new Map(Object.entries(entries).map(([k, v]) => [k, { vr: 'LO', value: v }]));

function okQuery(result: ReturnType<typeof parseQidoQuery>): Query {
  if (!result.ok) assert.fail(result.error.detail);
  return result.value;
}

function failure(result: ReturnType<typeof parseQidoQuery>): string {
  if (result.ok) assert.fail('expected a failure');
  assert.equal(result.error.code, 'QUERY_INVALID');
  return result.error.detail ?? '';
}

describe('C-FIND identifier', () => {
  it('needs a level that exists in the root', () => {
    failure(parseCFindIdentifier(id({ PatientName: 'A*' }), { root: 'patient' }));
    failure(parseCFindIdentifier(id({ '00080052': 'PATIENT' }), { root: 'study' }));
    failure(parseCFindIdentifier(id({ '00080052': 'BOGUS' }), { root: 'patient' }));
    assert.equal(parseCFindIdentifier(id({ '00080052': 'PATIENT' }), { root: 'patient' }).ok, true);
  });

  it('matches the given keys, returns universal ones and the unique keys, hands unknown tags to the edge', () => {
    const q = parseCFindIdentifier(id({ '00080052': 'STUDY', '00100010': 'Yama*', '00080050': '', '00080054': null, '00080005': 'ISO_IR 192' }), { root: 'study' });
    assert.ok(q.ok);
    assert.deepEqual(q.value.matches.map((m) => m.keyword), ['PatientName']);
    assert.deepEqual(new Set(q.value.returnKeys), new Set(['StudyInstanceUID', 'PatientName', 'AccessionNumber']));
    assert.deepEqual(q.value.foreignKeys, [{ tag: '00080054', vr: 'LO' }]);
  });

  it('refuses a key below the level when it has a value, ignores it when empty', () => {
    failure(parseCFindIdentifier(id({ '00080052': 'STUDY', SOPInstanceUID: '1.2.3' }), { root: 'study' }));
    const q = parseCFindIdentifier(id({ '00080052': 'STUDY', SOPInstanceUID: '' }), { root: 'study' });
    assert.ok(q.ok);
    assert.deepEqual(q.value.ignoredAttributes, ['SOPInstanceUID']);
  });

  it('treats patient keys as study keys in Study Root only', () => {
    assert.equal(parseCFindIdentifier(id({ '00080052': 'STUDY', PatientName: 'A' }), { root: 'study' }).ok, true);
    assert.equal(parseCFindIdentifier(id({ '00080052': 'PATIENT', StudyDate: '20240101' }), { root: 'patient' }).ok, false);
  });
});

describe('matchers', () => {
  const attr = (keyword: string) => QUERY_ATTRIBUTES.find((a) => a.keyword === keyword)!;

  it('makes `*` alone and empty values universal', () => {
    assert.deepEqual(matcherOf(attr('PatientName'), '*'), { ok: true, value: null });
    assert.deepEqual(matcherOf(attr('StudyDate'), ''), { ok: true, value: null });
    assert.deepEqual(matcherOf(attr('AccessionNumber'), null), { ok: true, value: null });
  });

  it('parses ranges and refuses reversed or malformed ones', () => {
    assert.deepEqual(matcherOf(attr('StudyDate'), '20240101-'), { ok: true, value: { kind: 'range', from: '20240101', to: null } });
    assert.deepEqual(matcherOf(attr('StudyDate'), '-20240101'), { ok: true, value: { kind: 'range', from: null, to: '20240101' } });
    assert.equal(matcherOf(attr('StudyDate'), '20240102-20240101').ok, false);
    assert.equal(matcherOf(attr('StudyDate'), '2024-01-01').ok, false);
    assert.equal(matcherOf(attr('StudyDate'), '2024*').ok, false);
    assert.equal(matcherOf(attr('StudyTime'), '1200-1100').ok, false);
    assert.equal(timeUpperBound('12'), '129999.999999');
    assert.equal(timeUpperBound('1200'), '120099.999999');
    assert.equal(timeUpperBound('120000.5'), '120000.599999');
  });

  it('parses UID lists and refuses what is not a UID', () => {
    assert.deepEqual(matcherOf(attr('StudyInstanceUID'), '1.2\\1.3\\1.2'), { ok: true, value: { kind: 'uids', values: ['1.2', '1.3'] } });
    assert.equal(matcherOf(attr('StudyInstanceUID'), "1.2'; drop").ok, false);
    assert.equal(matcherOf(attr('StudyInstanceUID'), Array.from({ length: 50_001 }, (_, i) => `1.${i}`).join('\\')).ok, false);
  });

  it('splits wildcards into segments and person names into groups', () => {
    assert.deepEqual(matcherOf(attr('AccessionNumber'), 'A%**?_'), {
      ok: true,
      value: { kind: 'text', anyOf: [{ kind: 'wildcard', segments: [{ kind: 'literal', text: 'A%' }, { kind: 'any' }, { kind: 'one' }, { kind: 'literal', text: '_' }] }] },
    });
    const name = matcherOf(attr('PatientName'), 'Yamada*=山田*');
    assert.ok(name.ok && name.value?.kind === 'person-name');
    assert.equal(name.value.anyOf[0]?.kind, 'by-group');
  });
});

describe('QIDO-RS parameters', () => {
  it('accepts keywords and tags, includefield, fuzzymatching, limit and offset', () => {
    const q = okQuery(parseQidoQuery({ level: 'STUDY', params: new URLSearchParams('00100010=Yama*&StudyDate=20240101-&includefield=00081030,StudyID&includefield=all&fuzzymatching=true&limit=10&offset=20') }));
    assert.deepEqual(q.matches.map((m) => m.keyword).sort(), ['PatientName', 'StudyDate']);
    assert.ok(q.returnKeys.includes('StudyDescription'));
    assert.ok(q.returnKeys.includes('NumberOfStudyRelatedInstances'));
    assert.equal(q.fuzzyMatching, true);
    assert.equal(q.limit, 10);
    assert.equal(q.offset, 20);
  });

  it('refuses unknown keywords, absurd paging, repeated keys and keys of a lower level', () => {
    assert.match(failure(parseQidoQuery({ level: 'STUDY', params: { Bogus: 'x' } })), /unknown attribute/);
    for (const limit of ['-1', '0', '1e9', 'abc', '99999999999']) failure(parseQidoQuery({ level: 'STUDY', params: { limit } }));
    failure(parseQidoQuery({ level: 'STUDY', params: { offset: '-5' } }));
    failure(parseQidoQuery({ level: 'STUDY', params: { fuzzymatching: 'yes' } }));
    failure(parseQidoQuery({ level: 'STUDY', params: { StudyDate: ['20240101', '20240102'] } }));
    failure(parseQidoQuery({ level: 'STUDY', params: { Modality: 'CT' } }));
    failure(parseQidoQuery({ level: 'SERIES', params: {}, studyInstanceUid: '../etc' }));
  });

  it('ignores well-formed tags it does not support, and reports them', () => {
    const q = okQuery(parseQidoQuery({ level: 'STUDY', params: { '00321032': 'X', includefield: '00400244' } }));
    assert.deepEqual([...q.ignoredAttributes].sort(), ['00321032', '00400244']);
    assert.equal(q.matches.length, 0);
  });

  it('takes UID lists separated by commas, and scopes study-relative resources', () => {
    const q = okQuery(parseQidoQuery({ level: 'IMAGE', params: { SOPInstanceUID: '1.2,1.3' }, studyInstanceUid: '1.9', seriesInstanceUid: '1.8' }));
    assert.deepEqual(
      q.matches.map((m) => [m.keyword, m.matcher]),
      [
        ['StudyInstanceUID', { kind: 'uids', values: ['1.9'] }],
        ['SeriesInstanceUID', { kind: 'uids', values: ['1.8'] }],
        ['SOPInstanceUID', { kind: 'uids', values: ['1.2', '1.3'] }],
      ],
    );
    assert.ok(!q.returnKeys.includes('StudyDate'), 'no study defaults under a study-relative path');
  });

  it('parses sequence item keys', () => {
    const q = okQuery(parseQidoQuery({ level: 'SERIES', params: { 'RequestAttributesSequence.RequestedProcedureID': 'RP*' } }));
    assert.equal(q.matches[0]?.matcher.kind, 'sequence');
  });
});

describe('results', () => {
  it('encodes names and values for the C-FIND response and chooses the character set', () => {
    const attributes = [
      { tag: '00100010', keyword: 'PatientName', vr: 'PN' as const, value: [{ alphabetic: 'Yamada^Tarou', ideographic: '山田^太郎', phonetic: '' }] },
      { tag: '00201208', keyword: 'NumberOfStudyRelatedInstances', vr: 'IS' as const, value: [3] },
      { tag: '00080061', keyword: 'ModalitiesInStudy', vr: 'CS' as const, value: ['CT', 'SR'] },
      { tag: '00080050', keyword: 'AccessionNumber', vr: 'SH' as const, value: [] },
    ];
    assert.deepEqual(toIdentifierElements(attributes), [
      { tag: '00100010', vr: 'PN', value: 'Yamada^Tarou=山田^太郎' },
      { tag: '00201208', vr: 'IS', value: '3' },
      { tag: '00080061', vr: 'CS', value: 'CT\\SR' },
      { tag: '00080050', vr: 'SH', value: null },
    ]);
    assert.equal(responseCharacterSet(attributes), 'ISO_IR 192');
    assert.equal(responseCharacterSet(attributes.slice(1)), null);
  });
});
