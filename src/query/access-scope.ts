/**
 * What the requester may see, in the form the query compiler applies in SQL — the one place where
 * access and visibility filters are applied for every interface (issue 4 item 1).
 *
 * The shape is that of `StudyVisibility` from `src/auth/policy.ts` (`studyVisibility(subject)`),
 * so the policy's answer is passed as is; it is declared here so that the query core does not
 * depend on the identity module. Deny by default: there is no default scope; every caller states one.
 *
 * Seam for later rules: visibility of unfinalized / finalized record versions and of rejected
 * instances arrive with later issues as further fields here, each compiled in
 * `src/index/query-scope.ts` — and nowhere else.
 */
export interface AccessScope {
  /**
   * Restricted studies (`studies.confidentiality = 'restricted'`, R9.2): 'all' visible (a role
   * holding study:read-restricted, or inside a break-glass window), 'granted' only those with a
   * row in `study_grants` for `userId`, 'none' never. Normal studies are always visible.
   */
  readonly restricted: 'all' | 'granted' | 'none';
  /** The user, for grants; null for DICOM peers (which hold no grants). */
  readonly userId: string | null;
  /**
   * May see studies not yet finalized. Not yet enforced: the index has no finalization state
   * until the records issue adds it; the filter then goes into `query-scope.ts`.
   */
  readonly unfinalized: boolean;
  /** The query runs inside a break-glass window: echoed in the result so the audit event is flagged (R9.13). */
  readonly breakGlass: boolean;
}
