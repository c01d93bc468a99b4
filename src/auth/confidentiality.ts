import { err, kakuteiError, ok, type Result } from '../errors/index.js';
import { auditActorOf, authorize, type ActingContext, type AuthDependencies } from './context.js';
import { CONFIDENTIALITY_LEVELS, type StudyResource } from './policy.js';
import type { IdentityTransaction, StudyAccessRecord } from './ports.js';

/**
 * Study confidentiality (issue 3 item 1, R9.2): `restricted` studies (staff, VIP patients) are
 * visible only to users granted them, or through break-glass. Every change is audited as a
 * `configuration-change` on the study, in the same transaction.
 */
export class StudyAccessService {
  constructor(private readonly deps: AuthDependencies) {}

  /** What the policy needs about a study; null when it is not indexed (answer NOT_FOUND). */
  async resourceOf(studyInstanceUid: string, finalized?: boolean): Promise<StudyResource | null> {
    const access = await this.deps.store.transaction((tx) => tx.findStudyAccess(studyInstanceUid));
    if (access === null) return null;
    const base = { kind: 'study' as const, studyInstanceUid, confidentiality: access.confidentiality, grantedUserIds: access.grantedUserIds };
    return finalized === undefined ? base : { ...base, finalized };
  }

  async setConfidentiality(context: ActingContext, studyInstanceUid: string, level: string): Promise<Result<StudyAccessRecord>> {
    const confidentiality = CONFIDENTIALITY_LEVELS.find((l) => l === level);
    if (confidentiality === undefined) return err(kakuteiError('INVALID_REQUEST', 'confidentiality: normal or restricted'));
    return this.change(context, studyInstanceUid, { operation: 'set-confidentiality', confidentiality }, async (tx, now) => {
      await tx.setStudyConfidentiality(studyInstanceUid, confidentiality, now);
      return true;
    });
  }

  async grant(context: ActingContext, studyInstanceUid: string, userId: string): Promise<Result<StudyAccessRecord>> {
    return this.grantOrRevoke(context, studyInstanceUid, userId, true);
  }

  async revoke(context: ActingContext, studyInstanceUid: string, userId: string): Promise<Result<StudyAccessRecord>> {
    return this.grantOrRevoke(context, studyInstanceUid, userId, false);
  }

  private async grantOrRevoke(context: ActingContext, studyInstanceUid: string, userId: string, grant: boolean): Promise<Result<StudyAccessRecord>> {
    const grantedBy = context.actor.kind === 'user' ? context.actor.userId : null;
    return this.change(context, studyInstanceUid, { operation: grant ? 'grant' : 'revoke', grantedUserId: userId }, async (tx, now) => {
      const user = await tx.findUserById(userId);
      if (user === null) return 'NOT_FOUND';
      if (!grant) return (await tx.deleteStudyGrant(studyInstanceUid, user.id)) ? true : 'NOT_FOUND';
      // The CLI (system actor) records the grantee as granter: the column needs a user.
      return tx.insertStudyGrant(studyInstanceUid, user.id, grantedBy ?? user.id, now);
    });
  }

  private async change(
    context: ActingContext,
    studyInstanceUid: string,
    detail: Readonly<Record<string, string>>,
    apply: (tx: IdentityTransaction, now: Date) => Promise<boolean | 'NOT_FOUND'>,
  ): Promise<Result<StudyAccessRecord>> {
    const allowed = authorize(context, 'study:set-confidentiality');
    if (!allowed.ok) return allowed;
    const now = this.deps.clock.now();
    return this.deps.store.transaction(async (tx) => {
      const before = await tx.findStudyAccess(studyInstanceUid);
      if (before === null) return err(kakuteiError('NOT_FOUND', 'no such study'));
      const applied = await apply(tx, now);
      if (applied === 'NOT_FOUND') return err(kakuteiError('NOT_FOUND', 'no such user or grant'));
      const after = (await tx.findStudyAccess(studyInstanceUid)) ?? before;
      if (applied) {
        await tx.audit.append({
          action: 'configuration-change',
          outcome: 0,
          actor: auditActorOf(context.actor),
          source: context.source,
          objects: [{ patientId: before.patientId, studyInstanceUid }],
          breakGlass: allowed.value.breakGlass,
          maintenanceSessionId: allowed.value.maintenanceSessionId,
          detail: { ...detail, previousConfidentiality: before.confidentiality, confidentiality: after.confidentiality },
        });
      }
      return ok(after);
    });
  }
}
