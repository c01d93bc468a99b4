import type { Role } from './roles.js';

/**
 * Permissions: what a subject may do. Nothing is allowed without one (default deny, guideline
 * appendix 1 §4 ②: "access rights set per user"). Every HTTP route and every DIMSE service names
 * the permission it needs; docs/ACCESS.md is the human-readable copy of the tables below.
 */
export const PERMISSIONS = [
  /** Read images and metadata of finalized (or not-yet-tracked) studies: WADO, viewer. */
  'study:read',
  /** Read studies not yet finalized (確定前), i.e. during inspection. */
  'study:read-unfinalized',
  /** Read every restricted study without a per-study grant. No role has it by default. */
  'study:read-restricted',
  'study:store',
  'study:query',
  'study:retrieve',
  'study:export',
  'study:import',
  'study:delete',
  /** Finalize (確定) a record; the records issue uses it with re-authentication. */
  'study:finalize',
  /** Storage commitment (PS3.4 J) for a DICOM peer. */
  'study:commit',
  /** Set a study's confidentiality level and grant users access to restricted studies. */
  'study:set-confidentiality',
  /** C-ECHO (PS3.7 9.1.5): verification only. */
  'dicom:echo',
  'audit:read',
  'alerts:read',
  'break-glass:open',
  'break-glass:review',
  'user:manage',
  'peer:manage',
  'config:manage',
  'maintenance:open',
  'maintenance:approve',
  'maintenance-log:read',
  /** Manage one's own session: log out, change one's password, enrol a second factor. */
  'session:own',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

export function isPermission(text: string): text is Permission {
  return (PERMISSIONS as readonly string[]).includes(text);
}

const TECHNOLOGIST: readonly Permission[] = [
  'session:own',
  'study:read',
  'study:read-unfinalized',
  'study:query',
  'study:retrieve',
  'study:store',
  'study:import',
  'study:finalize',
  'break-glass:open',
];

/**
 * The permission set of each role (issue 3 item 1). Separation of duties: the administrator manages
 * accounts and configuration but reads no images; the auditor reads the trail but changes nothing;
 * the maintenance account holds nothing outside an open maintenance session.
 */
export const ROLE_PERMISSIONS: Readonly<Record<Role, readonly Permission[]>> = {
  technologist: TECHNOLOGIST,
  'chief-technologist': [...TECHNOLOGIST, 'study:export', 'study:delete', 'study:set-confidentiality', 'maintenance-log:read'],
  physician: ['session:own', 'study:read', 'study:query', 'study:retrieve', 'study:export', 'break-glass:open'],
  admin: [
    'session:own',
    'user:manage',
    'peer:manage',
    'config:manage',
    'maintenance:approve',
    'maintenance-log:read',
    'alerts:read',
    'study:set-confidentiality',
  ],
  auditor: ['session:own', 'audit:read', 'alerts:read', 'break-glass:review', 'maintenance-log:read'],
  maintenance: ['session:own', 'maintenance:open'],
};

/**
 * What a maintenance account may do while its maintenance session is active (appendix 1 §4 ⑮):
 * the work a vendor engineer does on site — checking studies, re-sending, fixing configuration.
 * Every decision made under it carries the session id so that the action is logged.
 */
export const MAINTENANCE_SESSION_PERMISSIONS: readonly Permission[] = [
  'study:read',
  'study:read-unfinalized',
  'study:query',
  'study:retrieve',
  'study:store',
  'study:import',
  'config:manage',
  'peer:manage',
];

/** What an open break-glass window adds (R9.10): reading, including unfinalized and restricted data. */
export const BREAK_GLASS_PERMISSIONS: readonly Permission[] = [
  'study:read',
  'study:read-unfinalized',
  'study:read-restricted',
  'study:query',
  'study:retrieve',
];

/** The union of the roles' permissions; an unknown role contributes nothing. */
export function permissionsOfRoles(roles: readonly Role[]): ReadonlySet<Permission> {
  const result = new Set<Permission>();
  for (const role of roles) for (const permission of ROLE_PERMISSIONS[role] ?? []) result.add(permission);
  return result;
}
