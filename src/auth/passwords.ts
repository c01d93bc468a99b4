import { hash, verify, type Options } from '@node-rs/argon2';
import { err, kakuteiError, ok, type Result } from '../errors/index.js';

/** Hashes and checks passwords; the services take it as a port so tests may count calls. */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /** false for a wrong password and for a malformed stored hash (never throws for those). */
  verify(passwordHash: string, password: string): Promise<boolean>;
}

/**
 * argon2id with the OWASP Password Storage Cheat Sheet parameters: m = 19 MiB, t = 2, p = 1.
 * The PHC string stores parameters and salt with the hash, so raising them later re-hashes
 * nothing: old hashes still verify.
 */
export const ARGON2ID_OWASP: Options = { algorithm: 2 /* Argon2id */, memoryCost: 19 * 1024, timeCost: 2, parallelism: 1 };

export function argon2idHasher(options: Options = ARGON2ID_OWASP): PasswordHasher {
  return {
    hash: (password) => hash(password, options),
    async verify(passwordHash, password) {
      try {
        return await verify(passwordHash, password);
      } catch {
        return false;
      }
    },
  };
}

/** Longest password accepted: hashing megabytes on request would be a denial of service. */
export const MAX_PASSWORD_LENGTH = 1024;

/**
 * Length is what makes a password strong (NIST SP 800-63B §5.1.1.2): a minimum, no composition
 * rules, and not the login name itself. Lengths count code points, so kana count as one each.
 */
export function checkPasswordPolicy(password: string, minLength: number, loginName: string): Result<void> {
  const length = [...password].length;
  if (length < minLength) return err(kakuteiError('PASSWORD_POLICY', `at least ${minLength} characters`));
  if (password.length > MAX_PASSWORD_LENGTH) return err(kakuteiError('PASSWORD_POLICY', `at most ${MAX_PASSWORD_LENGTH} characters`));
  if (password.toLowerCase().includes(loginName.toLowerCase()) && loginName.length >= 3) {
    return err(kakuteiError('PASSWORD_POLICY', 'must not contain the login name'));
  }
  return ok(undefined);
}
