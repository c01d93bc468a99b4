import type { AuthSettings } from './context.js';
import { minutes } from './context.js';
import type { TrainingRecord, UserRecord } from './ports.js';
import type { SessionStage } from './subjects.js';

/** Why a login is refused (recorded in the audit event; the caller only ever sees AUTH_FAILED). */
export type LoginBlock = 'locked' | 'bad-password' | 'disabled' | 'training-missing';

/**
 * The rules a correct password must still pass, in order. A locked account refuses even the right
 * password until the lock expires, so that guessing does not continue through the lock.
 */
export function loginBlockOf(user: UserRecord, passwordOk: boolean, training: readonly TrainingRecord[], settings: AuthSettings, now: Date): LoginBlock | null {
  if (user.lockedUntil !== null && user.lockedUntil.getTime() > now.getTime()) return 'locked';
  if (!passwordOk) return 'bad-password';
  if (user.disabled) return 'disabled';
  if (settings.requireTraining && !hasRequiredTraining(training, settings.requiredTrainingCourses)) return 'training-missing';
  return null;
}

/** Every required course recorded; with no course configured, at least one record (guideline §4 ⑬). */
export function hasRequiredTraining(training: readonly TrainingRecord[], requiredCourses: readonly string[]): boolean {
  if (requiredCourses.length === 0) return training.length > 0;
  const done = new Set(training.map((t) => t.course));
  return requiredCourses.every((course) => done.has(course));
}

/** A second factor is needed when the user enrolled one, or when one of their roles requires it. */
export function secondFactorNeeded(user: UserRecord, settings: AuthSettings): boolean {
  return user.totpEnabled || user.roles.some((role) => settings.totpRequiredForRoles.includes(role));
}

export function passwordExpired(user: UserRecord, settings: AuthSettings, now: Date): boolean {
  if (settings.passwordExpiryDays === null) return false;
  return now.getTime() - user.passwordChangedAt.getTime() >= minutes(settings.passwordExpiryDays * 24 * 60);
}

/**
 * What the login must do next. The second factor comes before the password change, so that a
 * stolen password alone cannot replace the password; enrolment (first use of a second factor)
 * comes after it.
 */
export function nextStage(user: UserRecord, totpVerified: boolean, settings: AuthSettings, now: Date): SessionStage {
  const needsTotp = secondFactorNeeded(user, settings);
  if (needsTotp && user.totpEnabled && !totpVerified) return 'second-factor-required';
  if (user.mustChangePassword || passwordExpired(user, settings, now)) return 'password-change-required';
  if (needsTotp && !user.totpEnabled) return 'second-factor-enrolment-required';
  return 'active';
}
