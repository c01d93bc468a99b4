import { z } from 'zod';
import { ROLES, type UserView } from '../../auth/index.js';

/** Shapes shared by several route files. Times are ISO-8601 UTC strings. */
export const isoTime = z.string().datetime();
export const idParam = z.string().regex(/^[0-9]{1,19}$/, 'a decimal id');
export const roleSchema = z.enum(ROLES);
/** DICOM UID (PS3.5 9.1): digits and dots, at most 64 characters. */
export const uidSchema = z.string().regex(/^[0-9]+(\.[0-9]+)*$/).max(64);
/** A password as typed: bounded so that hashing cannot be abused (argon2 of megabytes). */
export const passwordSchema = z.string().min(1).max(1024);
export const totpCodeSchema = z.string().regex(/^[0-9]{6}$/);
export const textSchema = (max: number) => z.string().min(1).max(max);

export const userViewSchema = z.object({
  id: z.string(),
  loginName: z.string(),
  displayName: z.string(),
  kana: z.string().nullable(),
  roles: z.array(z.string()),
  disabled: z.boolean(),
  mustChangePassword: z.boolean(),
  totpEnabled: z.boolean(),
  lockedUntil: isoTime.nullable(),
  createdAt: isoTime,
  updatedAt: isoTime,
});

export const iso = (date: Date): string => date.toISOString();
export const isoOrNull = (date: Date | null): string | null => (date === null ? null : date.toISOString());

export function userJson(user: UserView): z.input<typeof userViewSchema> {
  return { ...user, roles: [...user.roles], lockedUntil: isoOrNull(user.lockedUntil), createdAt: iso(user.createdAt), updatedAt: iso(user.updatedAt) };
}

export const stageSchema = z.enum(['active', 'password-change-required', 'second-factor-required', 'second-factor-enrolment-required']);
export const stageResponse = z.object({ stage: stageSchema });
