import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { base32Decode, base32Encode, hotp, matchTotp, otpauthUri, totpAt, totpStepAt } from './totp.js';

// RFC 6238 Appendix B, SHA-1 rows: the seed is the ASCII string "12345678901234567890", 8 digits.
const RFC_SECRET = Buffer.from('12345678901234567890', 'ascii');
const RFC_VECTORS: ReadonlyArray<readonly [number, string]> = [
  [59, '94287082'],
  [1111111109, '07081804'],
  [1111111111, '14050471'],
  [1234567890, '89005924'],
  [2000000000, '69279037'],
  [20000000000, '65353130'],
];

describe('TOTP (RFC 6238)', () => {
  it('matches the RFC 6238 Appendix B SHA-1 vectors', () => {
    for (const [seconds, expected] of RFC_VECTORS) assert.equal(totpAt(RFC_SECRET, new Date(seconds * 1000), 8), expected, `T=${seconds}`);
  });

  it('matches the RFC 4226 Appendix D HOTP vectors', () => {
    const expected = ['755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489'];
    expected.forEach((code, counter) => assert.equal(hotp(RFC_SECRET, counter), code));
  });

  it('accepts one step of drift either way and no more', () => {
    const at = new Date(1_700_000_000_000);
    const step = totpStepAt(at);
    for (const delta of [-1, 0, 1]) assert.equal(matchTotp(RFC_SECRET, hotp(RFC_SECRET, step + delta), at, null), step + delta);
    for (const delta of [-2, 2]) assert.equal(matchTotp(RFC_SECRET, hotp(RFC_SECRET, step + delta), at, null), null);
  });

  it('refuses a replayed code: a step at or before the last used one', () => {
    const at = new Date(1_700_000_000_000);
    const step = totpStepAt(at);
    const code = hotp(RFC_SECRET, step);
    assert.equal(matchTotp(RFC_SECRET, code, at, null), step);
    assert.equal(matchTotp(RFC_SECRET, code, at, step), null);
    assert.equal(matchTotp(RFC_SECRET, hotp(RFC_SECRET, step - 1), at, step), null);
    assert.equal(matchTotp(RFC_SECRET, hotp(RFC_SECRET, step + 1), at, step), step + 1);
  });

  it('refuses malformed codes', () => {
    const at = new Date(0);
    for (const code of ['', '12345', '1234567', 'abcdef', ' 12345', '１２３４５６']) assert.equal(matchTotp(RFC_SECRET, code, at, null), null);
  });

  it('round-trips base32 (RFC 4648 §10 vectors) and builds an otpauth URI', () => {
    assert.equal(base32Encode(Buffer.from('foobar')), 'MZXW6YTBOI');
    assert.equal(base32Encode(Buffer.from('f')), 'MY');
    assert.deepEqual(base32Decode('MZXW6YTBOI======'), Buffer.from('foobar'));
    assert.equal(base32Decode('not base32!'), null);
    const uri = new URL(otpauthUri('Kakutei', 'yamada', RFC_SECRET));
    assert.equal(uri.protocol, 'otpauth:');
    assert.equal(uri.searchParams.get('secret'), base32Encode(RFC_SECRET));
    assert.equal(uri.searchParams.get('period'), '30');
  });
});
