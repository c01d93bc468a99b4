import type { AuditAction } from '../audit/events.js';
import { ROLES, type Role } from '../auth/index.js';

/**
 * The expected answer of every HTTP route to every role, and to an anonymous caller (issue 3
 * item 3): the status, and the one audit event the request leaves (none when absent). Denials of
 * an identified caller leave a `security-alert`; an anonymous caller without credentials leaves
 * nothing (there is no one to name, and recording it would let anyone fill the trail).
 * `access-matrix.int.test.ts` calls each route as each subject against a real database and fails
 * when a registered route is missing here, or this table names a route that does not exist.
 * The human-readable permission table is in docs/ACCESS.md.
 */
export type Subject = 'anonymous' | Role;
export const SUBJECTS: readonly Subject[] = ['anonymous', ...ROLES];

/** `"<status>"` or `"<status> <audit action>"`. */
export type Cell = `${number}` | `${number} ${AuditAction}`;

export interface Expectation {
  readonly status: number;
  readonly audit: AuditAction | null;
}

export function expectationOf(cell: Cell): Expectation {
  const [status, action] = cell.split(' ');
  return { status: Number(status), audit: (action as AuditAction | undefined) ?? null };
}

type Row = Readonly<Record<Subject, Cell>>;

/** Columns in the order of `SUBJECTS`: anonymous, then the six roles of `ROLES`. */
function row(...cells: [Cell, Cell, Cell, Cell, Cell, Cell, Cell]): Row {
  return Object.fromEntries(SUBJECTS.map((subject, i) => [subject, cells[i]])) as Row;
}

const NO = '401';
const DENIED = '403 security-alert';
const QUERY = '200 query';
const RETRIEVE = '200 retrieve';
const VIEW = '200 view';
const STORE = '200 store';

// prettier-ignore
export const ACCESS_MATRIX: Readonly<Record<string, Row>> = {
  //                                              anonymous     technologist          chief-technologist    physician             admin                 auditor               maintenance
  'POST /api/session':                         row('200 login',  '200 login',           '200 login',           '200 login',           '200 login',           '200 login',           '200 login'),
  'GET /api/session':                          row(NO,           '200',                 '200',                 '200',                 '200',                 '200',                 '200'),
  'DELETE /api/session':                       row(NO,           '204 logout',          '204 logout',          '204 logout',          '204 logout',          '204 logout',          '204 logout'),
  'POST /api/session/second-factor':           row(NO,           '200 login',           '200 login',           '200 login',           '200 login',           '200 login',           '200 login'),
  'POST /api/session/reauthenticate':          row(NO,           '200 login',           '200 login',           '200 login',           '200 login',           '200 login',           '200 login'),
  'GET /api/me':                               row(NO,           '200',                 '200',                 '200',                 '200',                 '200',                 '200'),
  'POST /api/me/password':                     row(NO,           '200 user-change',     '200 user-change',     '200 user-change',     '200 user-change',     '200 user-change',     '200 user-change'),
  'POST /api/me/totp':                         row(NO,           '200',                 '200',                 '200',                 '200',                 '200',                 '200'),
  'POST /api/me/totp/confirm':                 row(NO,           '200 user-change',     '200 user-change',     '200 user-change',     '200 user-change',     '200 user-change',     '200 user-change'),

  'GET /api/users':                            row(NO,           DENIED,                DENIED,                DENIED,                '200',                 DENIED,                DENIED),
  'POST /api/users':                           row(NO,           DENIED,                DENIED,                DENIED,                '201 user-change',     DENIED,                DENIED),
  'GET /api/users/:userId':                    row(NO,           DENIED,                DENIED,                DENIED,                '200',                 DENIED,                DENIED),
  'PATCH /api/users/:userId':                  row(NO,           DENIED,                DENIED,                DENIED,                '200 user-change',     DENIED,                DENIED),
  'POST /api/users/:userId/disable':           row(NO,           DENIED,                DENIED,                DENIED,                '200 user-change',     DENIED,                DENIED),
  'POST /api/users/:userId/enable':            row(NO,           DENIED,                DENIED,                DENIED,                '200 user-change',     DENIED,                DENIED),
  'POST /api/users/:userId/password':          row(NO,           DENIED,                DENIED,                DENIED,                '200 user-change',     DENIED,                DENIED),
  'GET /api/users/:userId/training':           row(NO,           DENIED,                DENIED,                DENIED,                '200',                 DENIED,                DENIED),
  'POST /api/users/:userId/training':          row(NO,           DENIED,                DENIED,                DENIED,                '201 user-change',     DENIED,                DENIED),
  'DELETE /api/users/:userId/second-factor':   row(NO,           DENIED,                DENIED,                DENIED,                '200 user-change',     DENIED,                DENIED),

  // Maintenance accounts manage peers only inside an approved maintenance session (see the maintenance test).
  'GET /api/peers':                            row(NO,           DENIED,                DENIED,                DENIED,                '200',                 DENIED,                DENIED),
  'POST /api/peers':                           row(NO,           DENIED,                DENIED,                DENIED,                '201 peer-change',     DENIED,                DENIED),
  'DELETE /api/peers/:aeTitle':                row(NO,           DENIED,                DENIED,                DENIED,                '204 peer-change',     DENIED,                DENIED),

  'GET /api/audit':                            row(NO,           DENIED,                DENIED,                DENIED,                DENIED,                '200 audit-log-used',  DENIED),

  'POST /api/break-glass':                     row(NO,           '201 break-glass-open', '201 break-glass-open', '201 break-glass-open', DENIED,              DENIED,                DENIED),
  'POST /api/break-glass/close':               row(NO,           '204 break-glass-close', '204 break-glass-close', '204 break-glass-close', DENIED,          DENIED,                DENIED),
  'GET /api/break-glass':                      row(NO,           DENIED,                DENIED,                DENIED,                DENIED,                '200 audit-log-used',  DENIED),
  'POST /api/break-glass/:breakGlassId/review': row(NO,          DENIED,                DENIED,                DENIED,                DENIED,                '200 break-glass-review', DENIED),
  'GET /api/alerts':                           row(NO,           DENIED,                DENIED,                DENIED,                '200',                 '200',                 DENIED),
  'POST /api/alerts/:alertId/acknowledge':     row(NO,           DENIED,                DENIED,                DENIED,                '204 alert-acknowledge', '204 alert-acknowledge', DENIED),

  'POST /api/maintenance':                     row(NO,           DENIED,                DENIED,                DENIED,                DENIED,                DENIED,                '201 maintenance-open'),
  'POST /api/maintenance/:sessionId/approve':  row(NO,           DENIED,                DENIED,                DENIED,                '200 maintenance-open', DENIED,               DENIED),
  'POST /api/maintenance/:sessionId/reject':   row(NO,           DENIED,                DENIED,                DENIED,                '200 maintenance-open', DENIED,               DENIED),
  // Its owner or an admin: the service decides, through the same policy engine.
  'POST /api/maintenance/:sessionId/close':    row(NO,           DENIED,                DENIED,                DENIED,                '204 maintenance-close', DENIED,              '204 maintenance-close'),
  'GET /api/maintenance/log':                  row(NO,           DENIED,                '200 audit-log-used',  DENIED,                '200 audit-log-used',  '200 audit-log-used',  DENIED),

  // A normal study here; restricted ones are the IDOR test's.
  'GET /api/studies/:studyInstanceUid':        row(NO,           '200 view',            '200 view',            '200 view',            DENIED,                DENIED,                DENIED),
  'GET /api/studies/:studyInstanceUid/confidentiality': row(NO,  DENIED,                '200',                 DENIED,                '200',                 DENIED,                DENIED),
  'PUT /api/studies/:studyInstanceUid/confidentiality': row(NO,  DENIED,                '200 configuration-change', DENIED,           '200 configuration-change', DENIED,         DENIED),
  'PUT /api/studies/:studyInstanceUid/grants/:userId': row(NO,   DENIED,                '200 configuration-change', DENIED,           '200 configuration-change', DENIED,         DENIED),
  'DELETE /api/studies/:studyInstanceUid/grants/:userId': row(NO, DENIED,               '200 configuration-change', DENIED,           '200 configuration-change', DENIED,         DENIED),

  // DICOMweb (issue 4): a normal study with one stored instance; restricted ones are dicomweb.int.test.ts's.
  // Frame requests are aggregated per study, session and minute: the test calls them in fresh sessions.
  'GET /dicomweb/studies':                     row(NO,           QUERY,                 QUERY,                 QUERY,                 DENIED,                DENIED,                DENIED),
  'GET /dicomweb/series':                      row(NO,           QUERY,                 QUERY,                 QUERY,                 DENIED,                DENIED,                DENIED),
  'GET /dicomweb/instances':                   row(NO,           QUERY,                 QUERY,                 QUERY,                 DENIED,                DENIED,                DENIED),
  'GET /dicomweb/studies/:studyInstanceUid/series': row(NO,      QUERY,                 QUERY,                 QUERY,                 DENIED,                DENIED,                DENIED),
  'GET /dicomweb/studies/:studyInstanceUid/instances': row(NO,   QUERY,                 QUERY,                 QUERY,                 DENIED,                DENIED,                DENIED),
  'GET /dicomweb/studies/:studyInstanceUid/series/:seriesInstanceUid/instances': row(NO, QUERY, QUERY,          QUERY,                 DENIED,                DENIED,                DENIED),
  'GET /dicomweb/studies/:studyInstanceUid':   row(NO,           RETRIEVE,              RETRIEVE,              RETRIEVE,              DENIED,                DENIED,                DENIED),
  'GET /dicomweb/studies/:studyInstanceUid/series/:seriesInstanceUid': row(NO, RETRIEVE, RETRIEVE,             RETRIEVE,              DENIED,                DENIED,                DENIED),
  'GET /dicomweb/studies/:studyInstanceUid/series/:seriesInstanceUid/instances/:sopInstanceUid': row(NO, RETRIEVE, RETRIEVE, RETRIEVE, DENIED,           DENIED,                DENIED),
  'GET /dicomweb/studies/:studyInstanceUid/metadata': row(NO,    VIEW,                  VIEW,                  VIEW,                  DENIED,                DENIED,                DENIED),
  'GET /dicomweb/studies/:studyInstanceUid/series/:seriesInstanceUid/metadata': row(NO, VIEW, VIEW,            VIEW,                  DENIED,                DENIED,                DENIED),
  'GET /dicomweb/studies/:studyInstanceUid/series/:seriesInstanceUid/instances/:sopInstanceUid/metadata': row(NO, VIEW, VIEW, VIEW,    DENIED,                DENIED,                DENIED),
  'GET /dicomweb/studies/:studyInstanceUid/series/:seriesInstanceUid/instances/:sopInstanceUid/bulkdata/*': row(NO, VIEW, VIEW, VIEW,  DENIED,                DENIED,                DENIED),
  'GET /dicomweb/studies/:studyInstanceUid/series/:seriesInstanceUid/instances/:sopInstanceUid/frames/:frameList': row(NO, VIEW, VIEW, VIEW, DENIED,        DENIED,                DENIED),
  'GET /dicomweb/studies/:studyInstanceUid/rendered': row(NO,    VIEW,                  VIEW,                  VIEW,                  DENIED,                DENIED,                DENIED),
  'GET /dicomweb/studies/:studyInstanceUid/series/:seriesInstanceUid/rendered': row(NO, VIEW, VIEW,            VIEW,                  DENIED,                DENIED,                DENIED),
  'GET /dicomweb/studies/:studyInstanceUid/series/:seriesInstanceUid/instances/:sopInstanceUid/rendered': row(NO, VIEW, VIEW, VIEW,    DENIED,                DENIED,                DENIED),
  'GET /dicomweb/studies/:studyInstanceUid/series/:seriesInstanceUid/instances/:sopInstanceUid/frames/:frameList/rendered': row(NO, VIEW, VIEW, VIEW, DENIED, DENIED,              DENIED),
  'GET /dicomweb/studies/:studyInstanceUid/thumbnail': row(NO,   VIEW,                  VIEW,                  VIEW,                  DENIED,                DENIED,                DENIED),
  'GET /dicomweb/studies/:studyInstanceUid/series/:seriesInstanceUid/thumbnail': row(NO, VIEW, VIEW,           VIEW,                  DENIED,                DENIED,                DENIED),
  'GET /dicomweb/studies/:studyInstanceUid/series/:seriesInstanceUid/instances/:sopInstanceUid/thumbnail': row(NO, VIEW, VIEW, VIEW,   DENIED,                DENIED,                DENIED),
  'GET /dicomweb/studies/:studyInstanceUid/series/:seriesInstanceUid/instances/:sopInstanceUid/frames/:frameList/thumbnail': row(NO, VIEW, VIEW, VIEW, DENIED, DENIED,             DENIED),
  'POST /dicomweb/studies':                    row(NO,           STORE,                 STORE,                 DENIED,                DENIED,                DENIED,                DENIED),
  'POST /dicomweb/studies/:studyInstanceUid':  row(NO,           STORE,                 STORE,                 DENIED,                DENIED,                DENIED,                DENIED),

  'GET /healthz':                              row('200',        '200',                 '200',                 '200',                 '200',                 '200',                 '200'),
  'GET /api/openapi.json':                     row('200',        '200',                 '200',                 '200',                 '200',                 '200',                 '200'),
};
