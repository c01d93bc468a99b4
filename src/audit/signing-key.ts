import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { open, readFile, rename, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fsyncDirectory, makeDirectoryDurably } from '../storage/index.js';

/**
 * The Ed25519 key that signs audit checkpoints (RFC 8032). Generated on first use in
 * `<dataDir>/keys/`: the private key (PKCS#8 PEM, mode 0600, created exclusively, never logged)
 * and the public key beside it (SPKI PEM), which `kakutei verify` and outside auditors use.
 */
export interface SigningKey {
  /** First 16 hex digits of the SHA-256 of the public key (SPKI DER). */
  readonly keyId: string;
  sign(message: Uint8Array): string;
}

export interface VerifyingKey {
  readonly keyId: string;
  verify(message: Uint8Array, signatureBase64: string): boolean;
}

export function signingKeyPaths(dataDir: string): { readonly privateKey: string; readonly publicKey: string } {
  return { privateKey: join(dataDir, 'keys', 'audit-signing.key'), publicKey: join(dataDir, 'keys', 'audit-signing.pub') };
}

/** Loads the key, creating it when absent. A second process racing to create it loses and loads the winner's. */
export async function loadOrCreateSigningKey(dataDir: string): Promise<SigningKey> {
  const paths = signingKeyPaths(dataDir);
  const existing = await readFile(paths.privateKey, 'utf8').catch((cause: NodeJS.ErrnoException) => {
    if (cause.code === 'ENOENT') return null;
    throw cause;
  });
  if (existing !== null) {
    const privateKey = createPrivateKey(existing);
    await restorePublicKey(paths.publicKey, privateKey);
    return signingKeyOf(privateKey);
  }

  await makeDirectoryDurably(dirname(paths.privateKey), 0o700);
  const { privateKey } = generateKeyPairSync('ed25519');
  try {
    await writeNewFile(paths.privateKey, privateKey.export({ type: 'pkcs8', format: 'pem' }), 0o600, 'wx');
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'EEXIST') return loadOrCreateSigningKey(dataDir);
    throw cause;
  }
  // The directory flush inside also makes the private key's name durable.
  await writePublicKey(paths.publicKey, privateKey);
  return signingKeyOf(privateKey);
}

/**
 * A crash after the private key was written and before the public key was named leaves no public
 * key, and without it no checkpoint can be verified: it is derived again from the private key.
 */
async function restorePublicKey(publicKeyPath: string, privateKey: KeyObject): Promise<void> {
  const present = await stat(publicKeyPath).then(
    () => true,
    (cause: NodeJS.ErrnoException) => {
      if (cause.code === 'ENOENT') return false;
      throw cause;
    },
  );
  if (!present) await writePublicKey(publicKeyPath, privateKey);
}

/** The public half, written whole under a temporary name of this process's, then named and its directory flushed. */
async function writePublicKey(publicKeyPath: string, privateKey: KeyObject): Promise<void> {
  const temp = `${publicKeyPath}.${process.pid}.tmp`;
  await writeNewFile(temp, createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }), 0o644, 'w');
  await rename(temp, publicKeyPath);
  await fsyncDirectory(dirname(publicKeyPath));
}

export async function loadVerifyingKey(publicKeyPath: string): Promise<VerifyingKey> {
  return verifyingKeyOf(createPublicKey(await readFile(publicKeyPath, 'utf8')));
}

export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16);
}

function signingKeyOf(privateKey: KeyObject): SigningKey {
  const keyId = keyIdOf(createPublicKey(privateKey));
  return { keyId, sign: (message) => sign(null, message, privateKey).toString('base64') };
}

export function verifyingKeyOf(publicKey: KeyObject): VerifyingKey {
  return {
    keyId: keyIdOf(publicKey),
    verify(message, signatureBase64) {
      try {
        return verify(null, message, publicKey, Buffer.from(signatureBase64, 'base64'));
      } catch {
        return false;
      }
    },
  };
}

async function writeNewFile(path: string, text: string | Buffer, mode: number, flags: 'w' | 'wx'): Promise<void> {
  const handle = await open(path, flags, mode);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
}
