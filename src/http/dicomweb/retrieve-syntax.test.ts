import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { acceptedTypes, selectMultipartOf } from './common.js';
import { plannedSyntax, wishDetail } from './retrieve-syntax.js';

const DICOM = 'application/dicom';
const EXPLICIT = '1.2.840.10008.1.2.1';
const IMPLICIT = '1.2.840.10008.1.2';
const JPEG_BASELINE = '1.2.840.10008.1.2.4.50';
const JPEG_LOSSLESS = '1.2.840.10008.1.2.4.70';
const MPEG4 = '1.2.840.10008.1.2.4.102';

describe('selectMultipartOf: the transfer syntax wish of the most preferred acceptable media type (PS3.18 8.7.8.2)', () => {
  it('is the default without a header, for */*, and for a media type that names no syntax', () => {
    for (const header of [undefined, '', '*/*', 'multipart/*', `multipart/related; type="${DICOM}"`, DICOM, 'multipart/related']) {
      assert.deepEqual(selectMultipartOf(header, DICOM), { kind: 'default' }, String(header));
    }
  });

  it('is `any` for transfer-syntax=*, and the named syntax when the caller can serve it', () => {
    assert.deepEqual(selectMultipartOf(`multipart/related; type="${DICOM}"; transfer-syntax=*`, DICOM), { kind: 'any' });
    assert.deepEqual(selectMultipartOf(`multipart/related; type="${DICOM}"; transfer-syntax=${IMPLICIT}`, DICOM), { kind: 'named', uid: IMPLICIT });
  });

  it('skips a media type whose syntax cannot be served, or of another type, and is null when none is left', () => {
    const servable = (syntax: string) => syntax === EXPLICIT;
    const header = `multipart/related; type="${DICOM}"; transfer-syntax=${JPEG_BASELINE}, multipart/related; type="${DICOM}"; transfer-syntax=${EXPLICIT}`;
    assert.deepEqual(selectMultipartOf(header, DICOM, servable), { kind: 'named', uid: EXPLICIT });
    assert.deepEqual(selectMultipartOf(`application/json, multipart/related; type="${DICOM}"; transfer-syntax=*`, DICOM, servable), { kind: 'any' });
    assert.equal(selectMultipartOf(`multipart/related; type="${DICOM}"; transfer-syntax=${JPEG_BASELINE}`, DICOM, servable), null);
    assert.equal(selectMultipartOf('multipart/related; type="application/octet-stream"', DICOM), null);
    assert.equal(selectMultipartOf('application/dicom+json', DICOM), null);
  });
});

describe('acceptedTypes: preference by q (RFC 9110 §12.5.1)', () => {
  it('orders by q, keeps the header order among equals, and leaves out q=0', () => {
    const types = acceptedTypes('application/json;q=0.5, application/dicom+json, text/html;q=0, */*;q=0.1, application/xml;q=0.5');
    assert.deepEqual(types?.map((t) => t.essence), ['application/dicom+json', 'application/json', 'application/xml', '*/*']);
  });

  it('is null without a header, and empty when the header admits nothing', () => {
    assert.equal(acceptedTypes(undefined), null);
    assert.equal(acceptedTypes('  '), null);
    assert.deepEqual(acceptedTypes('application/dicom+json;q=0'), []);
  });

  it('lets a preferred syntax listed later win, and refuses a multipart whose only entry is q=0', () => {
    const header = `multipart/related; type="${DICOM}"; transfer-syntax=${IMPLICIT}; q=0.5, multipart/related; type="${DICOM}"; transfer-syntax=*`;
    assert.deepEqual(selectMultipartOf(header, DICOM), { kind: 'any' });
    assert.equal(selectMultipartOf(`multipart/related; type="${DICOM}"; q=0`, DICOM), null);
  });
});

describe('plannedSyntax: what each stored instance is sent in', () => {
  it('sends Explicit VR Little Endian by default, converting what can be converted losslessly', () => {
    assert.deepEqual(plannedSyntax(EXPLICIT, { kind: 'default' }), { target: null, orAsStored: true });
    assert.deepEqual(plannedSyntax(IMPLICIT, { kind: 'default' }), { target: EXPLICIT, orAsStored: true });
    assert.deepEqual(plannedSyntax(JPEG_LOSSLESS, { kind: 'default' }), { target: EXPLICIT, orAsStored: true });
  });

  it('by default sends as stored what it holds only in lossy form (never decoded), and video', () => {
    assert.deepEqual(plannedSyntax(JPEG_BASELINE, { kind: 'default' }), { target: null, orAsStored: true });
    assert.deepEqual(plannedSyntax(MPEG4, { kind: 'default' }), { target: null, orAsStored: true });
  });

  it('sends as stored for `*`, whatever the stored syntax', () => {
    for (const stored of [EXPLICIT, IMPLICIT, JPEG_LOSSLESS, JPEG_BASELINE]) assert.deepEqual(plannedSyntax(stored, { kind: 'any' }), { target: null, orAsStored: false });
  });

  it('sends a named syntax as stored when it is the stored one, else converted, without a fallback', () => {
    assert.deepEqual(plannedSyntax(IMPLICIT, { kind: 'named', uid: IMPLICIT }), { target: null, orAsStored: false });
    assert.deepEqual(plannedSyntax(EXPLICIT, { kind: 'named', uid: IMPLICIT }), { target: IMPLICIT, orAsStored: false });
  });

  it('writes the wish into the audit detail', () => {
    assert.deepEqual([wishDetail({ kind: 'default' }), wishDetail({ kind: 'any' }), wishDetail({ kind: 'named', uid: IMPLICIT })], ['default', '*', IMPLICIT]);
  });
});
