/**
 * Roles (issue 3, INTERFACES.md `kakutei user add --role`). A role is a named set of permissions;
 * nothing is allowed without a permission (default deny). The permission sets are in
 * `permissions.ts` and documented in docs/ACCESS.md.
 */
export const ROLES = ['technologist', 'chief-technologist', 'physician', 'admin', 'auditor', 'maintenance'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(text: string): text is Role {
  return (ROLES as readonly string[]).includes(text);
}
