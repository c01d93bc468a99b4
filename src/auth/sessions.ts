import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { AuditEventInput, AuditSource } from '../audit/events.js';
import { err, kakuteiError, ok, type Result } from '../errors/index.js';
import { auditActorOfUser, minutes, type AuthDependencies } from './context.js';
import { MAX_PASSWORD_LENGTH } from './passwords.js';
import type { IdentityTransaction, SessionEndReason, SessionRecord, UserRecord } from './ports.js';
import type { SessionStage, UserSubject } from './subjects.js';
import { base32Decode, matchTotp } from './totp.js';
import { loginBlockOf, nextStage, secondFactorNeeded } from './login-rules.js';

export interface LoginInput {
  readonly loginName: string;
  readonly password: string;
  /** The TOTP code, when the client already has it; otherwise the session waits for it. */
  readonly totp?: string | undefined;
  readonly source: AuditSource;
}

export interface LoginSuccess {
  /** Bearer token (256 random bits, base64url). Only its SHA-256 is stored. */
  readonly token: string;
  /** Per-session CSRF token for browser use; the HTTP layer checks it with `verifyCsrf`. */
  readonly csrfToken: string;
  readonly sessionId: string;
  readonly userId: string;
  readonly stage: SessionStage;
  readonly mustChangePassword: boolean;
  readonly totpRequired: boolean;
  readonly totpEnrolmentRequired: boolean;
  /** When the session ends at the latest (absolute timeout). */
  readonly expiresAt: Date;
  readonly idleTimeoutMs: number;
}

/** A valid session, resolved on each request. */
export interface AuthenticatedSession {
  readonly sessionId: string;
  readonly userId: string;
  readonly stage: SessionStage;
  readonly createdAt: Date;
  readonly expiresAt: Date;
  readonly reauthenticatedAt: Date | null;
  /** The subject the policy engine decides for (roles, break-glass, maintenance). */
  readonly subject: UserSubject;
  /** SHA-256 of the CSRF token, for `verifyCsrf`. */
  readonly csrfHash: string;
}

/** Last-seen is written at most this often (a write per frame request would be wasteful). */
const TOUCH_INTERVAL_MS = 30_000;
const MAX_LOGIN_NAME_LENGTH = 64;

export const sha256Hex = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');
const newToken = (): string => randomBytes(32).toString('base64url');

/**
 * Logins and sessions (issue 3 item 2). Failures are one generic AUTH_FAILED whatever the cause
 * (unknown user, wrong password, locked, disabled, no training), and an unknown user costs the
 * same hashing time as a known one, so that answers reveal nothing; the audit event records the
 * real cause for the auditor.
 */
export class SessionService {
  /** A hash to verify against for unknown users (equal time, OWASP Authentication Cheat Sheet). */
  private dummyHash: Promise<string> | null = null;

  constructor(private readonly deps: AuthDependencies) {}

  async login(input: LoginInput): Promise<Result<LoginSuccess>> {
    const { store, clock, settings } = this.deps;
    const loginName = input.loginName.length <= MAX_LOGIN_NAME_LENGTH ? input.loginName : '';
    const user = loginName === '' ? null : await store.transaction((tx) => tx.findUserByLogin(loginName));
    const password = input.password.length <= MAX_PASSWORD_LENGTH ? input.password : '';
    const passwordOk = await this.verifyPassword(user, password);
    const now = clock.now();
    return store.transaction(async (tx) => {
      const current = user === null ? null : await tx.findUserById(user.id);
      if (current === null) {
        await tx.audit.append(loginEvent(input, null, 4, { reason: 'unknown-user' }));
        return fail();
      }
      const training = settings.requireTraining ? await tx.listTraining(current.id) : [];
      const block = loginBlockOf(current, passwordOk && password !== '', training, settings, now);
      if (block !== null) {
        if (block === 'bad-password') await this.countFailure(tx, current, now);
        await tx.audit.append(loginEvent(input, current, 4, { reason: block }));
        return fail();
      }
      let totpVerified = false;
      if (input.totp !== undefined && secondFactorNeeded(current, settings) && current.totpEnabled) {
        const step = this.matchCode(current, input.totp, now);
        if (step === null) {
          await this.countFailure(tx, current, now);
          await tx.audit.append(loginEvent(input, current, 4, { reason: 'bad-second-factor' }));
          return fail();
        }
        await tx.updateUser(current.id, { totpLastStep: step, updatedAt: now });
        totpVerified = true;
      }
      if (current.failedLogins > 0 || current.lockedUntil !== null) await tx.updateUser(current.id, { failedLogins: 0, lockedUntil: null, updatedAt: now });
      const stage = nextStage(current, totpVerified, settings, now);
      const token = newToken();
      const csrfToken = newToken();
      const sessionId = await tx.insertSession({
        tokenHash: sha256Hex(token),
        csrfHash: sha256Hex(csrfToken),
        userId: current.id,
        stage,
        at: now,
        sourceAddress: input.source.address,
        userAgent: input.source.userAgent,
      });
      await tx.audit.append(loginEvent(input, current, 0, { sessionId, stage }));
      return ok({
        token,
        csrfToken,
        sessionId,
        userId: current.id,
        stage,
        mustChangePassword: stage === 'password-change-required',
        totpRequired: stage === 'second-factor-required',
        totpEnrolmentRequired: stage === 'second-factor-enrolment-required',
        expiresAt: new Date(now.getTime() + minutes(settings.sessionAbsoluteMinutes)),
        idleTimeoutMs: minutes(settings.sessionIdleMinutes),
      });
    });
  }

  /**
   * The session a bearer token names, if it is still valid: not ended, used within the idle
   * timeout, younger than the absolute timeout, its user not disabled. An expired session is
   * ended (with a `session-expired` event) and answers SESSION_EXPIRED, like an unknown token.
   */
  async authenticate(token: string, source: AuditSource = { address: null, userAgent: null }): Promise<Result<AuthenticatedSession>> {
    const { store, clock, settings } = this.deps;
    const now = clock.now();
    return store.transaction(async (tx) => {
      const session = await tx.findSessionByTokenHash(sha256Hex(token));
      if (session === null || session.endedAt !== null) return err(kakuteiError('SESSION_EXPIRED'));
      const user = await tx.findUserById(session.userId);
      const ending: SessionEndReason | null =
        user === null || user.disabled
          ? 'user-disabled'
          : now.getTime() - session.createdAt.getTime() >= minutes(settings.sessionAbsoluteMinutes)
            ? 'absolute-timeout'
            : now.getTime() - session.lastSeenAt.getTime() >= minutes(settings.sessionIdleMinutes)
              ? 'idle-timeout'
              : null;
      if (ending !== null || user === null) {
        await tx.updateSession(session.id, { endedAt: now, endReason: ending ?? 'user-disabled' });
        await tx.audit.append({
          action: 'session-expired',
          outcome: 0,
          actor: user === null ? { kind: 'anonymous', attemptedLoginName: null } : auditActorOfUser(user),
          source,
          objects: [],
          breakGlass: false,
          detail: { sessionId: session.id, reason: ending ?? 'user-disabled' },
        });
        return err(kakuteiError('SESSION_EXPIRED'));
      }
      if (now.getTime() - session.lastSeenAt.getTime() >= TOUCH_INTERVAL_MS) await tx.updateSession(session.id, { lastSeenAt: now });
      return ok(await this.resolve(tx, session, user, now));
    });
  }

  async logout(token: string, source: AuditSource): Promise<Result<void>> {
    const authenticated = await this.authenticate(token, source);
    if (!authenticated.ok) return authenticated;
    const session = authenticated.value;
    return this.deps.store.transaction(async (tx) => {
      await tx.updateSession(session.sessionId, { endedAt: this.deps.clock.now(), endReason: 'logout' });
      await tx.audit.append(sessionEvent('logout', session, source, 0, { sessionId: session.sessionId }));
      return ok(undefined);
    });
  }

  /** Constant-time check of the CSRF token sent with a browser request (header or form field). */
  verifyCsrf(session: AuthenticatedSession, csrfToken: string | undefined): Result<void> {
    if (csrfToken === undefined || csrfToken === '') return err(kakuteiError('CSRF_INVALID'));
    const equal = timingSafeEqual(Buffer.from(sha256Hex(csrfToken), 'hex'), Buffer.from(session.csrfHash, 'hex'));
    return equal ? ok(undefined) : err(kakuteiError('CSRF_INVALID'));
  }

  /**
   * Re-authentication for sensitive operations (finalization): the password again, and the TOTP
   * code when the user has one. Marks the session; `requireRecentAuth` checks the mark.
   */
  async reauthenticate(token: string, password: string, totp: string | undefined, source: AuditSource): Promise<Result<{ readonly reauthenticatedAt: Date }>> {
    const authenticated = await this.authenticate(token, source);
    if (!authenticated.ok) return authenticated;
    const session = authenticated.value;
    if (session.stage !== 'active') return err(kakuteiError('ACCESS_DENIED', 'the login is not complete'));
    const user = await this.deps.store.transaction((tx) => tx.findUserById(session.userId));
    const passwordOk = await this.verifyPassword(user, password.length <= MAX_PASSWORD_LENGTH ? password : '');
    const now = this.deps.clock.now();
    return this.deps.store.transaction(async (tx) => {
      const current = user === null ? null : await tx.findUserById(user.id);
      if (current === null) return fail();
      let step: number | null = null;
      if (current.totpEnabled) step = totp === undefined ? null : this.matchCode(current, totp, now);
      if (!passwordOk || (current.totpEnabled && step === null)) {
        await this.countFailure(tx, current, now);
        await tx.audit.append(sessionEvent('login', session, source, 4, { sessionId: session.sessionId, reauthentication: true }));
        return fail();
      }
      if (step !== null) await tx.updateUser(current.id, { totpLastStep: step, updatedAt: now });
      await tx.updateSession(session.sessionId, { reauthenticatedAt: now, lastSeenAt: now });
      await tx.audit.append(sessionEvent('login', session, source, 0, { sessionId: session.sessionId, reauthentication: true }));
      return ok({ reauthenticatedAt: now });
    });
  }

  /** REAUTHENTICATION_REQUIRED unless the session re-authenticated within `withinMs` (default: config). */
  requireRecentAuth(session: AuthenticatedSession, withinMs: number = minutes(this.deps.settings.reauthenticationMinutes)): Result<void> {
    const at = session.reauthenticatedAt;
    if (at === null || this.deps.clock.now().getTime() - at.getTime() > withinMs) return err(kakuteiError('REAUTHENTICATION_REQUIRED'));
    return ok(undefined);
  }

  /** Builds the policy subject of a session: roles, open break-glass window, maintenance session. */
  private async resolve(tx: IdentityTransaction, session: SessionRecord, user: UserRecord, now: Date): Promise<AuthenticatedSession> {
    const breakGlass = await tx.findOpenBreakGlass(user.id, now);
    const maintenance = await tx.findCurrentMaintenanceSession(user.id);
    return {
      sessionId: session.id,
      userId: user.id,
      stage: session.stage,
      createdAt: session.createdAt,
      expiresAt: new Date(session.createdAt.getTime() + minutes(this.deps.settings.sessionAbsoluteMinutes)),
      reauthenticatedAt: session.reauthenticatedAt,
      csrfHash: session.csrfHash,
      subject: {
        kind: 'user',
        userId: user.id,
        loginName: user.loginName,
        displayName: user.displayName,
        roles: user.roles,
        stage: session.stage,
        breakGlass: breakGlass === null ? null : { id: breakGlass.id, expiresAt: breakGlass.expiresAt },
        maintenance: maintenance === null ? null : { id: maintenance.id, active: maintenance.status === 'active' },
      },
    };
  }

  /** Counts a failed attempt; at the threshold the account locks for `lockoutMinutes`. */
  async countFailure(tx: IdentityTransaction, user: UserRecord, now: Date): Promise<void> {
    const failures = user.failedLogins + 1;
    const lock = failures >= this.deps.settings.lockoutThreshold;
    await tx.updateUser(user.id, {
      failedLogins: lock ? 0 : failures,
      lockedUntil: lock ? new Date(now.getTime() + minutes(this.deps.settings.lockoutMinutes)) : user.lockedUntil,
      updatedAt: now,
    });
  }

  matchCode(user: UserRecord, code: string, now: Date): number | null {
    const secret = user.totpSecret === null ? null : base32Decode(user.totpSecret);
    return secret === null ? null : matchTotp(secret, code, now, user.totpLastStep);
  }

  /** Always one argon2 verification, whether the user exists or not. */
  async verifyPassword(user: UserRecord | null, password: string): Promise<boolean> {
    if (user !== null) return this.deps.hasher.verify(user.passwordHash, password);
    this.dummyHash ??= this.deps.hasher.hash(newToken());
    await this.deps.hasher.verify(await this.dummyHash, password);
    return false;
  }
}

const fail = (): Result<never> => err(kakuteiError('AUTH_FAILED'));

function loginEvent(
  input: LoginInput,
  user: UserRecord | null,
  outcome: 0 | 4,
  detail: Readonly<Record<string, string | number | boolean | null>>,
): AuditEventInput {
  return {
    action: 'login',
    outcome,
    actor: user === null ? { kind: 'anonymous', attemptedLoginName: input.loginName.slice(0, MAX_LOGIN_NAME_LENGTH) } : auditActorOfUser(user),
    source: input.source,
    objects: [],
    breakGlass: false,
    detail,
  };
}

export function sessionEvent(
  action: AuditEventInput['action'],
  session: AuthenticatedSession,
  source: AuditSource,
  outcome: 0 | 4,
  detail: Readonly<Record<string, string | number | boolean | null>>,
): AuditEventInput {
  const s = session.subject;
  return {
    action,
    outcome,
    actor: { kind: 'user', userId: s.userId, loginName: s.loginName, displayName: s.displayName, roles: s.roles },
    source,
    objects: [],
    breakGlass: false,
    detail,
  };
}
