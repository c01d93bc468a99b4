import type { AuditEventInput, AuditSource } from '../audit/events.js';
import { err, kakuteiError, ok, type Result } from '../errors/index.js';
import { auditActorOf, authorize, type ActingContext, type AuthDependencies } from './context.js';
import type { IdentityTransaction, MaintenanceLogEntry, MaintenanceSessionRecord } from './ports.js';
import type { UserSubject } from './subjects.js';

const MAX_TEXT = 2000;

/**
 * Maintenance sessions (issue 3 item 5, guideline appendix 1 §4 ⑮⑯): a maintenance account acts
 * only inside a session opened with a work description and, when configured, approved by an
 * administrator first. Every action in it goes to the maintenance log, which admins read.
 */
export class MaintenanceService {
  constructor(private readonly deps: AuthDependencies) {}

  async open(context: ActingContext, description: string): Promise<Result<MaintenanceSessionRecord>> {
    const allowed = authorize(context, 'maintenance:open');
    if (!allowed.ok) return allowed;
    if (context.actor.kind !== 'user') return err(kakuteiError('ACCESS_DENIED'));
    const user = context.actor;
    const text = description.trim();
    if (text === '' || text.length > MAX_TEXT) return err(kakuteiError('INVALID_REQUEST', 'a work description is required'));
    const now = this.deps.clock.now();
    const needsApproval = this.deps.settings.maintenanceRequiresApproval;
    return this.deps.store.transaction(async (tx) => {
      if ((await tx.findCurrentMaintenanceSession(user.userId)) !== null) return err(kakuteiError('STATE_CONFLICT', 'a maintenance session is already open'));
      const session = await tx.insertMaintenanceSession({ userId: user.userId, description: text, status: needsApproval ? 'pending' : 'active', requestedAt: now });
      await tx.audit.append(this.event(context, 'maintenance-open', session, { operation: needsApproval ? 'request' : 'open', description: text }));
      return ok(session);
    });
  }

  /** An administrator approves (the session becomes active) or rejects a pending session. */
  async decide(context: ActingContext, sessionId: string, approve: boolean): Promise<Result<MaintenanceSessionRecord>> {
    const allowed = authorize(context, 'maintenance:approve');
    if (!allowed.ok) return allowed;
    const approver = context.actor.kind === 'user' ? context.actor.userId : null;
    const now = this.deps.clock.now();
    return this.deps.store.transaction(async (tx) => {
      const session = await tx.findMaintenanceSession(sessionId);
      if (session === null) return err(kakuteiError('NOT_FOUND', 'no such maintenance session'));
      if (session.status !== 'pending') return err(kakuteiError('STATE_CONFLICT', 'the session is not awaiting approval'));
      if (approver === session.userId) return err(kakuteiError('ACCESS_DENIED', 'own maintenance session'));
      const patch = approve ? { status: 'active' as const, approvedBy: approver, approvedAt: now } : { status: 'rejected' as const, closedAt: now };
      await tx.updateMaintenanceSession(session.id, patch);
      const updated = { ...session, ...patch };
      await tx.audit.append(this.event(context, 'maintenance-open', updated, { operation: approve ? 'approve' : 'reject' }));
      return ok(updated);
    });
  }

  /** Closes the session (its owner, or an administrator). */
  async close(context: ActingContext, sessionId: string): Promise<Result<void>> {
    const now = this.deps.clock.now();
    return this.deps.store.transaction(async (tx) => {
      const session = await tx.findMaintenanceSession(sessionId);
      if (session === null) return err(kakuteiError('NOT_FOUND', 'no such maintenance session'));
      const own = context.actor.kind === 'user' && context.actor.userId === session.userId;
      if (!own && !authorize(context, 'maintenance:approve').ok) return err(kakuteiError('ACCESS_DENIED'));
      if (session.status === 'closed' || session.status === 'rejected') return err(kakuteiError('STATE_CONFLICT', 'already closed'));
      await tx.updateMaintenanceSession(session.id, { status: 'closed', closedAt: now });
      await tx.audit.append(this.event(context, 'maintenance-close', { ...session, status: 'closed', closedAt: now }, {}));
      return ok(undefined);
    });
  }

  /**
   * Writes one action done in a maintenance session to the log and the audit trail. The edges call
   * it whenever `decide` answered with a `maintenanceSessionId`; `within` lets a change record its
   * log entry in its own transaction.
   */
  async recordAction(
    subject: UserSubject,
    entry: { readonly action: string; readonly detail: string | null; readonly source: AuditSource },
    within?: IdentityTransaction,
  ): Promise<Result<void>> {
    const { action, detail, source } = entry;
    const sessionId = subject.maintenance?.active === true ? subject.maintenance.id : null;
    if (sessionId === null) return err(kakuteiError('ACCESS_DENIED', 'no active maintenance session'));
    const now = this.deps.clock.now();
    const write = async (tx: IdentityTransaction): Promise<Result<void>> => {
      await tx.insertMaintenanceLog({ sessionId, userId: subject.userId, at: now, action: action.slice(0, 200), detail: detail?.slice(0, MAX_TEXT) ?? null });
      await tx.audit.append({
        action: 'maintenance-action',
        outcome: 0,
        actor: auditActorOf(subject),
        source,
        objects: [],
        breakGlass: false,
        maintenanceSessionId: sessionId,
        detail: { action: action.slice(0, 200) },
      });
      return ok(undefined);
    };
    return within === undefined ? this.deps.store.transaction(write) : write(within);
  }

  async readLog(context: ActingContext, sessionId: string | null): Promise<Result<MaintenanceLogEntry[]>> {
    const allowed = authorize(context, 'maintenance-log:read');
    if (!allowed.ok) return allowed;
    return ok(await this.deps.store.transaction((tx) => tx.listMaintenanceLog({ sessionId })));
  }

  private event(
    context: ActingContext,
    action: 'maintenance-open' | 'maintenance-close',
    session: MaintenanceSessionRecord,
    detail: Readonly<Record<string, string | number | boolean | null>>,
  ): AuditEventInput {
    return {
      action,
      outcome: 0,
      actor: auditActorOf(context.actor),
      source: context.source,
      objects: [],
      breakGlass: false,
      maintenanceSessionId: session.id,
      detail: { status: session.status, maintenanceUserId: session.userId, ...detail },
    };
  }
}
