import { sql, type RawBuilder, type SqlBool } from 'kysely';
import type { AccessScope, QueryLevel } from '../query/index.js';

/**
 * The one place where access and visibility rules become SQL (issue 4 item 1): every query level,
 * every count, C-FIND and QIDO-RS alike go through here. A row is visible when its study is:
 * - `confidentiality = 'normal'`, or
 * - restricted, and the scope sees all restricted studies (`restricted: 'all'`: a role with
 *   study:read-restricted, or break-glass — the policy decides, src/auth/policy.ts
 *   `studyVisibility`), or the user holds a grant in `study_grants` (`restricted: 'granted'`).
 * Later rules (unfinalized record versions, rejected instances) are added here, as further
 * conditions on `studies` / `instances`, and nowhere else.
 *
 * Returns null when nothing is filtered.
 */
export function visibleStudyCondition(scope: AccessScope, studies: string): RawBuilder<SqlBool> | null {
  const confidentiality = sql.ref(`${studies}.confidentiality`);
  switch (scope.restricted) {
    case 'all':
      return null;
    case 'granted':
      if (scope.userId !== null) {
        return sql<SqlBool>`(${confidentiality} = 'normal' or exists (select 1 from study_grants g where g.study_instance_uid = ${sql.ref(`${studies}.study_instance_uid`)} and g.user_id = ${scope.userId}))`;
      }
      return sql<SqlBool>`${confidentiality} = 'normal'`;
    case 'none':
      return sql<SqlBool>`${confidentiality} = 'normal'`;
  }
}

/**
 * The scope filter for a query at `level`. Levels at or below STUDY filter on the joined `studies`
 * row; a patient is visible when at least one of its studies is (and its counts count only those).
 */
export function scopeCondition(scope: AccessScope, level: QueryLevel): RawBuilder<SqlBool> | null {
  if (level !== 'PATIENT') return visibleStudyCondition(scope, 'studies');
  const visible = visibleStudyCondition(scope, 'vs');
  if (visible === null) return null;
  return sql<SqlBool>`exists (select 1 from studies vs where vs.patient_fk = patients.id and ${visible})`;
}
