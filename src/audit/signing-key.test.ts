import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadOrCreateSigningKey, loadVerifyingKey, signingKeyPaths } from './signing-key.js';

describe('the audit signing key', () => {
  let base: string;
  before(async () => {
    base = await mkdtemp(join(tmpdir(), 'kakutei-signing-key-'));
  });
  after(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it('is created once: the private key owner-only, the public key beside it verifying its signatures', async () => {
    const dataDir = join(base, 'created');
    const key = await loadOrCreateSigningKey(dataDir);
    const paths = signingKeyPaths(dataDir);
    assert.equal((await stat(paths.privateKey)).mode & 0o777, 0o600);
    const verifying = await loadVerifyingKey(paths.publicKey);
    assert.equal(verifying.keyId, key.keyId);
    const message = Buffer.from('checkpoint');
    assert.ok(verifying.verify(message, key.sign(message)));
    assert.equal((await loadOrCreateSigningKey(dataDir)).keyId, key.keyId, 'loaded again, not replaced');
  });

  it('derives the public key again when a crash left only the private key', async () => {
    const dataDir = join(base, 'crashed');
    const key = await loadOrCreateSigningKey(dataDir);
    const paths = signingKeyPaths(dataDir);
    const publicPem = await readFile(paths.publicKey, 'utf8');
    await unlink(paths.publicKey);
    const loaded = await loadOrCreateSigningKey(dataDir);
    assert.equal(loaded.keyId, key.keyId);
    assert.equal(await readFile(paths.publicKey, 'utf8'), publicPem);
    const message = Buffer.from('after the crash');
    assert.ok((await loadVerifyingKey(paths.publicKey)).verify(message, loaded.sign(message)));
  });
});
