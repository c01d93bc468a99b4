import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { instanceRow, integerOf, joinNumbers, patientIdentityOf, personNameColumns, personNameFromColumns, sameIdentity, splitNumbers } from './rows.js';
import { fakeInstance } from './testing/fake-instance.js';

describe('index row mapping', () => {
  it('stores the three PN component groups, empty groups as NULL', () => {
    assert.deepEqual(personNameColumns({ alphabetic: 'Yamada^Tarou', ideographic: '山田^太郎', phonetic: '' }), {
      alphabetic: 'Yamada^Tarou',
      ideographic: '山田^太郎',
      phonetic: null,
    });
    assert.deepEqual(personNameColumns(null), { alphabetic: null, ideographic: null, phonetic: null });
    assert.equal(personNameFromColumns(null, null, null), null);
    assert.deepEqual(personNameFromColumns(null, '山田', null), { alphabetic: '', ideographic: '山田', phonetic: '' });
  });

  it('keys patients by ID and issuer, an absent issuer being the empty string', () => {
    const noIssuer = patientIdentityOf(fakeInstance({ attributes: { patientId: 'P1', issuerOfPatientId: null } }));
    assert.deepEqual(noIssuer, { patientId: 'P1', issuer: '' });
    const empty = patientIdentityOf(fakeInstance({ attributes: { patientId: '', issuerOfPatientId: null } }));
    assert.equal(empty.patientId, null, 'an empty Patient ID is no ID');
    assert.equal(sameIdentity(noIssuer, { patientId: 'P1', issuer: 'HOSP' }), false);
    assert.equal(sameIdentity(noIssuer, { patientId: 'P1', issuer: '' }), true);
  });

  it('joins and splits multi-valued decimals with backslashes', () => {
    assert.equal(joinNumbers([-125.5, 0, 1e-7]), '-125.5\\0\\1e-7');
    assert.deepEqual(splitNumbers('-125.5\\0\\1e-7'), [-125.5, 0, 1e-7]);
    assert.equal(joinNumbers([]), null);
    assert.equal(joinNumbers(null), null);
  });

  it('reads IS values as integers only when they conform', () => {
    assert.equal(integerOf(' 12 '), 12);
    assert.equal(integerOf('-3'), -3);
    assert.equal(integerOf('+4'), 4);
    assert.equal(integerOf('1.5'), null);
    assert.equal(integerOf('abc'), null);
    assert.equal(integerOf('99999999999'), null);
    assert.equal(integerOf('2147483648'), null);
    assert.equal(integerOf(null), null);
  });

  it('keeps the header patient identity and source on the instance row', () => {
    const instance = fakeInstance({ lossy: true, attributes: { patientId: 'HDR', issuerOfPatientId: 'ISS', patientName: { alphabetic: 'A', ideographic: '亜', phonetic: 'あ' } } });
    const row = instanceRow(instance, 1, false);
    assert.equal(row.header_patient_id, 'HDR');
    assert.equal(row.header_issuer_of_patient_id, 'ISS');
    assert.equal(row.header_patient_name_ideographic, '亜');
    assert.equal(row.lossy, 1);
    assert.equal(row.has_faults, 0);
    assert.equal(row.received_at, '2024-05-01T09:30:00.000Z');
    assert.equal(row.calling_ae_title, 'MODALITY');
    assert.equal(row.record_version_id, null);
  });
});
