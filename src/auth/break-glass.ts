import { err, kakuteiError, ok, type Result } from '../errors/index.js';
import { auditActorOf, authorize, minutes, type ActingContext, type AuthDependencies } from './context.js';
import type { AlertRecord, BreakGlassRecord, PurposeOfUse } from './ports.js';

export const PURPOSES_OF_USE: readonly PurposeOfUse[] = ['ETREAT', 'BTG'];

const MAX_TEXT = 2000;

/**
 * Break-glass (issue 3 item 4, R9.10–R9.13): a physician or technologist opens an emergency window
 * with a reason and an HL7 purpose of use (ETREAT emergency treatment, BTG break the glass). While
 * it is open the policy grants reading restricted and unfinalized studies and flags every decision;
 * opening raises an alert for admins and auditors, and an auditor records a review afterwards.
 */
export class BreakGlassService {
  constructor(private readonly deps: AuthDependencies) {}

  async open(context: ActingContext, input: { readonly reason: string; readonly purposeOfUse: string }): Promise<Result<BreakGlassRecord>> {
    const allowed = authorize(context, 'break-glass:open');
    if (!allowed.ok) return allowed;
    if (context.actor.kind !== 'user') return err(kakuteiError('ACCESS_DENIED', 'break-glass is for users'));
    const user = context.actor;
    const reason = input.reason.trim();
    if (reason === '' || reason.length > MAX_TEXT) return err(kakuteiError('INVALID_REQUEST', 'a reason is required'));
    const purposeOfUse = PURPOSES_OF_USE.find((p) => p === input.purposeOfUse);
    if (purposeOfUse === undefined) return err(kakuteiError('INVALID_REQUEST', 'purposeOfUse: ETREAT or BTG'));
    const now = this.deps.clock.now();
    return this.deps.store.transaction(async (tx) => {
      if ((await tx.findOpenBreakGlass(user.userId, now)) !== null) return err(kakuteiError('STATE_CONFLICT', 'a break-glass window is already open'));
      const window = await tx.insertBreakGlass({
        userId: user.userId,
        reason,
        purposeOfUse,
        openedAt: now,
        expiresAt: new Date(now.getTime() + minutes(this.deps.settings.breakGlassMinutes)),
      });
      const alert = await tx.insertAlert({
        kind: 'break-glass-open',
        raisedAt: now,
        userId: user.userId,
        breakGlassId: window.id,
        message: `break-glass opened by ${user.loginName} (${purposeOfUse}) until ${window.expiresAt.toISOString()}`,
      });
      await tx.audit.append({
        action: 'break-glass-open',
        outcome: 0,
        actor: auditActorOf(user),
        source: context.source,
        objects: [],
        breakGlass: true,
        detail: { breakGlassId: window.id, purposeOfUse, reason, expiresAt: window.expiresAt.toISOString(), alertId: alert.id },
      });
      return ok(window);
    });
  }

  /** Closes one's own window before it expires. */
  async close(context: ActingContext): Promise<Result<void>> {
    if (context.actor.kind !== 'user') return err(kakuteiError('ACCESS_DENIED'));
    const user = context.actor;
    const now = this.deps.clock.now();
    return this.deps.store.transaction(async (tx) => {
      const window = await tx.findOpenBreakGlass(user.userId, now);
      if (window === null) return err(kakuteiError('STATE_CONFLICT', 'no open break-glass window'));
      await tx.updateBreakGlass(window.id, { closedAt: now });
      await tx.audit.append({
        action: 'break-glass-close',
        outcome: 0,
        actor: auditActorOf(user),
        source: context.source,
        objects: [],
        breakGlass: true,
        detail: { breakGlassId: window.id, early: now.getTime() < window.expiresAt.getTime() },
      });
      return ok(undefined);
    });
  }

  /** An auditor's review of a window (R9.13). Recorded once; the event keeps the note. */
  async review(context: ActingContext, breakGlassId: string, note: string): Promise<Result<BreakGlassRecord>> {
    const allowed = authorize(context, 'break-glass:review');
    if (!allowed.ok) return allowed;
    if (context.actor.kind !== 'user') return err(kakuteiError('ACCESS_DENIED'));
    const reviewer = context.actor;
    if (note.trim() === '' || note.length > MAX_TEXT) return err(kakuteiError('INVALID_REQUEST', 'a review note is required'));
    const now = this.deps.clock.now();
    return this.deps.store.transaction(async (tx) => {
      const window = await tx.findBreakGlass(breakGlassId);
      if (window === null) return err(kakuteiError('NOT_FOUND', 'no such break-glass window'));
      if (window.reviewedAt !== null) return err(kakuteiError('STATE_CONFLICT', 'already reviewed'));
      // Nobody reviews their own emergency access.
      if (window.userId === reviewer.userId) return err(kakuteiError('ACCESS_DENIED', 'own break-glass'));
      await tx.updateBreakGlass(window.id, { reviewedBy: reviewer.userId, reviewedAt: now, reviewNote: note });
      await tx.audit.append({
        action: 'break-glass-review',
        outcome: 0,
        actor: auditActorOf(reviewer),
        source: context.source,
        objects: [],
        breakGlass: false,
        detail: { breakGlassId: window.id, breakGlassUserId: window.userId, note },
      });
      return ok({ ...window, reviewedBy: reviewer.userId, reviewedAt: now, reviewNote: note });
    });
  }

  async list(context: ActingContext, filter: { readonly unreviewedOnly: boolean }): Promise<Result<BreakGlassRecord[]>> {
    const allowed = authorize(context, 'break-glass:review');
    if (!allowed.ok) return allowed;
    return ok(await this.deps.store.transaction((tx) => tx.listBreakGlass(filter)));
  }

  /** Alerts for admins and auditors (`/api/alerts`). */
  async listAlerts(context: ActingContext, filter: { readonly unacknowledgedOnly: boolean }): Promise<Result<AlertRecord[]>> {
    const allowed = authorize(context, 'alerts:read');
    if (!allowed.ok) return allowed;
    return ok(await this.deps.store.transaction((tx) => tx.listAlerts(filter)));
  }

  async acknowledgeAlert(context: ActingContext, alertId: string): Promise<Result<void>> {
    const allowed = authorize(context, 'alerts:read');
    if (!allowed.ok) return allowed;
    if (context.actor.kind !== 'user') return err(kakuteiError('ACCESS_DENIED'));
    const userId = context.actor.userId;
    const now = this.deps.clock.now();
    return this.deps.store.transaction(async (tx) => {
      const alert = await tx.findAlert(alertId);
      if (alert === null) return err(kakuteiError('NOT_FOUND', 'no such alert'));
      if (alert.acknowledgedAt !== null) return err(kakuteiError('STATE_CONFLICT', 'already acknowledged'));
      await tx.acknowledgeAlert(alert.id, userId, now);
      await tx.audit.append({
        action: 'alert-acknowledge',
        outcome: 0,
        actor: auditActorOf(context.actor),
        source: context.source,
        objects: [],
        breakGlass: false,
        detail: { alertId: alert.id },
      });
      return ok(undefined);
    });
  }
}
