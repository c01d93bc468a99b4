import type { AuditSource } from '../audit/events.js';
import { err, kakuteiError, ok, type Result } from '../errors/index.js';
import type { AuthDependencies } from './context.js';
import { nextStage } from './login-rules.js';
import { checkPasswordPolicy } from './passwords.js';
import type { IdentityTransaction, UserRecord } from './ports.js';
import { sessionEvent, type AuthenticatedSession, type SessionService } from './sessions.js';
import type { SessionStage } from './subjects.js';
import { base32Encode, generateTotpSecret, otpauthUri } from './totp.js';
import { snapshotOf } from './users.js';

export interface TotpEnrolment {
  /** Base32 secret, for manual entry in an authenticator app. */
  readonly secret: string;
  /** otpauth:// URI, for a QR code. */
  readonly otpauthUri: string;
}

/**
 * What a user does with their own account, from a session: finish the login (second factor,
 * password change, enrolment) and enrol a second factor. Each step moves the session to its next
 * stage (`login-rules.ts nextStage`).
 */
export class AccountService {
  constructor(
    private readonly deps: AuthDependencies,
    private readonly sessions: SessionService,
    /** Shown in authenticator apps (otpauth issuer). */
    private readonly issuer = 'Kakutei',
  ) {}

  /** The TOTP code for a session in `second-factor-required`. A wrong code counts as a failed login. */
  async completeSecondFactor(session: AuthenticatedSession, code: string, source: AuditSource): Promise<Result<{ readonly stage: SessionStage }>> {
    if (session.stage !== 'second-factor-required') return err(kakuteiError('STATE_CONFLICT', 'no second factor is awaited'));
    const now = this.deps.clock.now();
    return this.deps.store.transaction(async (tx) => {
      const user = await tx.findUserById(session.userId);
      if (user === null) return err(kakuteiError('SESSION_EXPIRED'));
      const step = this.sessions.matchCode(user, code, now);
      if (step === null) {
        await this.sessions.countFailure(tx, user, now);
        await tx.audit.append(sessionEvent('login', session, source, 4, { sessionId: session.sessionId, reason: 'bad-second-factor' }));
        return err(kakuteiError('AUTH_FAILED'));
      }
      await tx.updateUser(user.id, { totpLastStep: step, updatedAt: now });
      const stage = nextStage(user, true, this.deps.settings, now);
      await tx.updateSession(session.sessionId, { stage, lastSeenAt: now });
      await tx.audit.append(sessionEvent('login', session, source, 0, { sessionId: session.sessionId, secondFactor: true, stage }));
      return ok({ stage });
    });
  }

  /**
   * Changes one's own password (the current one is required). Other sessions of the user end; this
   * one continues at its next stage.
   */
  async changePassword(
    session: AuthenticatedSession,
    currentPassword: string,
    newPassword: string,
    source: AuditSource,
  ): Promise<Result<{ readonly stage: SessionStage }>> {
    if (session.stage !== 'active' && session.stage !== 'password-change-required') return err(kakuteiError('SECOND_FACTOR_REQUIRED'));
    const user = await this.deps.store.transaction((tx) => tx.findUserById(session.userId));
    if (user === null) return err(kakuteiError('SESSION_EXPIRED'));
    const policy = checkPasswordPolicy(newPassword, this.deps.settings.passwordMinLength, user.loginName);
    if (!policy.ok) return policy;
    const currentOk = await this.sessions.verifyPassword(user, currentPassword);
    if (currentOk && (await this.deps.hasher.verify(user.passwordHash, newPassword))) {
      return err(kakuteiError('PASSWORD_POLICY', 'must differ from the current password'));
    }
    const passwordHash = currentOk ? await this.deps.hasher.hash(newPassword) : '';
    const now = this.deps.clock.now();
    return this.deps.store.transaction(async (tx) => {
      const current = await tx.findUserById(user.id);
      if (current === null) return err(kakuteiError('SESSION_EXPIRED'));
      if (!currentOk) {
        await this.sessions.countFailure(tx, current, now);
        await tx.audit.append(sessionEvent('user-change', session, source, 4, { operation: 'password-change', ...snapshotOf(current) }));
        return err(kakuteiError('AUTH_FAILED'));
      }
      await tx.updateUser(current.id, { passwordHash, passwordChangedAt: now, mustChangePassword: false, updatedAt: now });
      await endOtherSessions(tx, current, session.sessionId, now);
      const updated: UserRecord = { ...current, mustChangePassword: false, passwordChangedAt: now };
      const stage = nextStage(updated, true, this.deps.settings, now);
      await tx.updateSession(session.sessionId, { stage, lastSeenAt: now });
      await tx.audit.append(sessionEvent('user-change', session, source, 0, { operation: 'password-change', ...snapshotOf(current), stage }));
      return ok({ stage });
    });
  }

  /** Starts (or restarts, until confirmed) enrolment of a TOTP second factor. */
  async beginTotpEnrolment(session: AuthenticatedSession): Promise<Result<TotpEnrolment>> {
    if (session.stage !== 'active' && session.stage !== 'second-factor-enrolment-required') return err(kakuteiError('STATE_CONFLICT', 'finish the login first'));
    const secret = generateTotpSecret();
    const now = this.deps.clock.now();
    return this.deps.store.transaction(async (tx) => {
      const user = await tx.findUserById(session.userId);
      if (user === null) return err(kakuteiError('SESSION_EXPIRED'));
      if (user.totpEnabled) return err(kakuteiError('STATE_CONFLICT', 'a second factor is already enrolled'));
      await tx.updateUser(user.id, { totpSecret: base32Encode(secret), totpLastStep: null, updatedAt: now });
      return ok({ secret: base32Encode(secret), otpauthUri: otpauthUri(this.issuer, user.loginName, secret) });
    });
  }

  /** A first valid code confirms the enrolment; from then on every login needs a code. */
  async confirmTotpEnrolment(session: AuthenticatedSession, code: string, source: AuditSource): Promise<Result<{ readonly stage: SessionStage }>> {
    const now = this.deps.clock.now();
    return this.deps.store.transaction(async (tx) => {
      const user = await tx.findUserById(session.userId);
      if (user === null) return err(kakuteiError('SESSION_EXPIRED'));
      if (user.totpEnabled || user.totpSecret === null) return err(kakuteiError('STATE_CONFLICT', 'no enrolment in progress'));
      const step = this.sessions.matchCode(user, code, now);
      if (step === null) return err(kakuteiError('AUTH_FAILED'));
      await tx.updateUser(user.id, { totpEnabled: true, totpLastStep: step, updatedAt: now });
      const stage = session.stage === 'second-factor-enrolment-required' ? nextStage({ ...user, totpEnabled: true }, true, this.deps.settings, now) : session.stage;
      await tx.updateSession(session.sessionId, { stage, lastSeenAt: now });
      await tx.audit.append(sessionEvent('user-change', session, source, 0, { operation: 'totp-enrolled', ...snapshotOf(user), stage }));
      return ok({ stage });
    });
  }
}

async function endOtherSessions(tx: IdentityTransaction, user: UserRecord, keepSessionId: string, now: Date): Promise<void> {
  // endSessionsOfUser ends all; the current one is reopened by the stage update that follows.
  await tx.endSessionsOfUser(user.id, 'password-changed', now);
  await tx.updateSession(keepSessionId, { endedAt: null, endReason: null });
}
