import type { AuditActor, AuditSource } from '../audit/events.js';
import type { Clock } from '../clock/index.js';
import type { KakuteiConfig } from '../config/index.js';
import { err, kakuteiError, ok, type Result } from '../errors/index.js';
import type { Permission } from './permissions.js';
import { decide } from './policy.js';
import type { PasswordHasher } from './passwords.js';
import type { IdentityStore, UserRecord } from './ports.js';
import type { UserSubject } from './subjects.js';

/** Access-control settings (config `auth`, docs/ACCESS.md). */
export type AuthSettings = KakuteiConfig['auth'];

/** What every identity service is built from (passed explicitly; no module singletons). */
export interface AuthDependencies {
  readonly store: IdentityStore;
  readonly clock: Clock;
  readonly settings: AuthSettings;
  readonly hasher: PasswordHasher;
}

/** Who performs a change, and from where: a logged-in user, or the system (CLI, first start). */
export interface ActingContext {
  readonly actor: UserSubject | { readonly kind: 'system'; readonly component: string };
  readonly source: AuditSource;
}

export const NO_SOURCE: AuditSource = { address: null, userAgent: null };

export function auditActorOf(actor: ActingContext['actor']): AuditActor {
  if (actor.kind === 'system') return { kind: 'system', component: actor.component };
  return { kind: 'user', userId: actor.userId, loginName: actor.loginName, displayName: actor.displayName, roles: actor.roles };
}

export function auditActorOfUser(user: UserRecord): AuditActor {
  return { kind: 'user', userId: user.id, loginName: user.loginName, displayName: user.displayName, roles: user.roles };
}

/**
 * The services check the policy themselves as well as the edges (defence in depth, access
 * filters at the data layer): the system actor (CLI run by the operator) is trusted.
 */
export function authorize(context: ActingContext, action: Permission): Result<{ breakGlass: boolean; maintenanceSessionId: string | null }> {
  if (context.actor.kind === 'system') return ok({ breakGlass: false, maintenanceSessionId: null });
  const decision = decide(context.actor, action);
  if (!decision.allow) return err(kakuteiError('ACCESS_DENIED', `${action} not permitted`));
  return ok({ breakGlass: decision.breakGlass, maintenanceSessionId: decision.maintenanceSessionId });
}

export const minutes = (n: number): number => n * 60_000;

/** C0 controls and DEL: never in names, courses or descriptions (they break logs and CSV exports). */
export function hasControlCharacters(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}
