import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { open, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { err, kakuteiError, ok, type Result } from '../errors/index.js';
import { fsyncDirectory } from '../storage/index.js';
import { auditActorOf, authorize, hasControlCharacters, type ActingContext, type AuthDependencies } from './context.js';
import { checkPasswordPolicy } from './passwords.js';
import type { IdentityTransaction, TrainingRecord, UserPatch, UserRecord } from './ports.js';
import { isRole, type Role } from './roles.js';

/** A user as the services hand it out: never the password hash or the TOTP secret. */
export interface UserView {
  readonly id: string;
  readonly loginName: string;
  readonly displayName: string;
  readonly kana: string | null;
  readonly roles: readonly Role[];
  readonly disabled: boolean;
  readonly mustChangePassword: boolean;
  readonly totpEnabled: boolean;
  readonly lockedUntil: Date | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface NewUserInput {
  readonly loginName: string;
  readonly displayName?: string | null;
  readonly kana?: string | null;
  readonly roles: readonly string[];
  readonly password: string;
  /** Force a change at first login (default true when an administrator sets the password). */
  readonly mustChangePassword?: boolean;
}

export interface UserChangeInput {
  readonly displayName?: string;
  readonly kana?: string | null;
  readonly roles?: readonly string[];
}

export type InitialAdminResult = { readonly created: false } | { readonly created: true; readonly passwordFile: string };

/** The file the first-start password goes to, in the data directory (mode 0600). */
export const INITIAL_ADMIN_PASSWORD_FILE = 'initial-admin-password';

const LOGIN_NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
const MAX_NAME_LENGTH = 128;
const DATE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;

export function viewOf(user: UserRecord): UserView {
  return {
    id: user.id,
    loginName: user.loginName,
    displayName: user.displayName,
    kana: user.kana,
    roles: user.roles,
    disabled: user.disabled,
    mustChangePassword: user.mustChangePassword,
    totpEnabled: user.totpEnabled,
    lockedUntil: user.lockedUntil,
    createdAt: user.createdAt,
    updatedAt: user.updatedAt,
  };
}

/**
 * A snapshot of a user for `user-change` events: past events keep the name and roles of the time,
 * whatever later changes (guideline appendix 1 §4 ⑪; ARCHITECTURE invariants).
 */
export function snapshotOf(user: Pick<UserRecord, 'id' | 'loginName' | 'displayName' | 'kana' | 'roles' | 'disabled'>, prefix = 'target') {
  return {
    [`${prefix}UserId`]: user.id,
    [`${prefix}LoginName`]: user.loginName,
    [`${prefix}DisplayName`]: user.displayName,
    [`${prefix}Kana`]: user.kana,
    [`${prefix}Roles`]: user.roles.join(','),
    [`${prefix}Disabled`]: user.disabled,
  };
}

function parseRoles(roles: readonly string[]): Result<Role[]> {
  const unknown = roles.filter((r) => !isRole(r));
  if (unknown.length > 0) return err(kakuteiError('INVALID_REQUEST', `unknown role: ${unknown.join(', ')}`));
  if (roles.length === 0) return err(kakuteiError('INVALID_REQUEST', 'at least one role is required'));
  return ok([...new Set(roles)] as Role[]);
}

function checkName(value: string | null | undefined, field: string): Result<void> {
  if (value === null || value === undefined) return ok(undefined);
  if (value.length > MAX_NAME_LENGTH || hasControlCharacters(value)) return err(kakuteiError('INVALID_REQUEST', `${field} is invalid`));
  return ok(undefined);
}

/** Users and their training records (issue 3 item 1). Every change emits a `user-change` event. */
export class UserService {
  constructor(private readonly deps: AuthDependencies) {}

  async createUser(context: ActingContext, input: NewUserInput): Promise<Result<UserView>> {
    const allowed = authorize(context, 'user:manage');
    if (!allowed.ok) return allowed;
    if (!LOGIN_NAME.test(input.loginName)) return err(kakuteiError('INVALID_REQUEST', 'login name: 1–64 of A–Z a–z 0–9 . _ @ -'));
    const roles = parseRoles(input.roles);
    if (!roles.ok) return roles;
    for (const check of [checkName(input.displayName, 'display name'), checkName(input.kana, 'kana')]) if (!check.ok) return check;
    const policy = checkPasswordPolicy(input.password, this.deps.settings.passwordMinLength, input.loginName);
    if (!policy.ok) return policy;
    const passwordHash = await this.deps.hasher.hash(input.password);
    const at = this.deps.clock.now();
    return this.deps.store.transaction(async (tx) => {
      if ((await tx.findUserByLogin(input.loginName)) !== null) return err(kakuteiError('ALREADY_EXISTS', 'login name taken'));
      const user = await tx.insertUser({
        loginName: input.loginName,
        displayName: input.displayName ?? input.loginName,
        kana: input.kana ?? null,
        roles: roles.value,
        passwordHash,
        mustChangePassword: input.mustChangePassword ?? true,
        at,
      });
      await this.emit(tx, context, 'create', user);
      return ok(viewOf(user));
    });
  }

  /** Name, kana or roles. Past events keep their snapshots; the event records before and after. */
  async updateUser(context: ActingContext, userId: string, change: UserChangeInput): Promise<Result<UserView>> {
    const allowed = authorize(context, 'user:manage');
    if (!allowed.ok) return allowed;
    const roles = change.roles === undefined ? ok(undefined) : parseRoles(change.roles);
    if (!roles.ok) return roles;
    for (const check of [checkName(change.displayName, 'display name'), checkName(change.kana, 'kana')]) if (!check.ok) return check;
    return this.changeUser(context, userId, 'update', () => ({
      ...(change.displayName === undefined ? {} : { displayName: change.displayName }),
      ...(change.kana === undefined ? {} : { kana: change.kana }),
      ...(roles.value === undefined ? {} : { roles: roles.value }),
    }));
  }

  /** Disabling ends every session of the user at once (issue 3 item 2). */
  async setDisabled(context: ActingContext, userId: string, disabled: boolean): Promise<Result<UserView>> {
    const allowed = authorize(context, 'user:manage');
    if (!allowed.ok) return allowed;
    return this.changeUser(context, userId, disabled ? 'disable' : 'enable', () => ({ disabled }), async (tx, user) => {
      if (disabled) await tx.endSessionsOfUser(user.id, 'user-disabled', this.deps.clock.now());
    });
  }

  /** An administrator sets a new password: the user must change it at next login; lockout is lifted. */
  async resetPassword(context: ActingContext, userId: string, password: string): Promise<Result<UserView>> {
    const allowed = authorize(context, 'user:manage');
    if (!allowed.ok) return allowed;
    const target = await this.deps.store.transaction((tx) => tx.findUserById(userId));
    if (target === null) return err(kakuteiError('NOT_FOUND', 'no such user'));
    const policy = checkPasswordPolicy(password, this.deps.settings.passwordMinLength, target.loginName);
    if (!policy.ok) return policy;
    const passwordHash = await this.deps.hasher.hash(password);
    const at = this.deps.clock.now();
    return this.changeUser(
      context,
      userId,
      'password-reset',
      () => ({ passwordHash, passwordChangedAt: at, mustChangePassword: true, failedLogins: 0, lockedUntil: null }),
      async (tx, user) => void (await tx.endSessionsOfUser(user.id, 'password-changed', at)),
    );
  }

  /** Removes the second factor (a lost phone); the user enrols again at next login if required. */
  async resetSecondFactor(context: ActingContext, userId: string): Promise<Result<UserView>> {
    const allowed = authorize(context, 'user:manage');
    if (!allowed.ok) return allowed;
    return this.changeUser(context, userId, 'totp-reset', () => ({ totpSecret: null, totpEnabled: false, totpLastStep: null }));
  }

  async recordTraining(context: ActingContext, userId: string, training: { readonly course: string; readonly completedOn: string }): Promise<Result<void>> {
    const allowed = authorize(context, 'user:manage');
    if (!allowed.ok) return allowed;
    if (!DATE.test(training.completedOn)) return err(kakuteiError('INVALID_REQUEST', 'completedOn must be YYYY-MM-DD'));
    const course = checkName(training.course, 'course');
    if (!course.ok || training.course.trim() === '') return err(kakuteiError('INVALID_REQUEST', 'course is invalid'));
    const at = this.deps.clock.now();
    return this.deps.store.transaction(async (tx) => {
      const user = await tx.findUserById(userId);
      if (user === null) return err(kakuteiError('NOT_FOUND', 'no such user'));
      const record: TrainingRecord = { course: training.course, completedOn: training.completedOn, recordedAt: at };
      await tx.insertTraining(user.id, record);
      await this.emit(tx, context, 'training', user, { course: record.course, completedOn: record.completedOn });
      return ok(undefined);
    });
  }

  async listTraining(userId: string): Promise<TrainingRecord[]> {
    return this.deps.store.transaction((tx) => tx.listTraining(userId));
  }

  async listUsers(): Promise<UserView[]> {
    return (await this.deps.store.transaction((tx) => tx.listUsers())).map(viewOf);
  }

  async getUser(userId: string): Promise<UserView | null> {
    const user = await this.deps.store.transaction((tx) => tx.findUserById(userId));
    return user === null ? null : viewOf(user);
  }

  /**
   * First start (issue 3 item 1): with no users at all, creates `admin` with a one-time random
   * password written to `<dataDir>/initial-admin-password` (created exclusively, mode 0600) and
   * returns the file's path for the log — never the password. The password must be changed at
   * first login. Safe to call at every start: it does nothing once a user exists.
   */
  async ensureInitialAdmin(dataDir: string): Promise<InitialAdminResult> {
    const existing = await this.deps.store.transaction((tx) => tx.countUsers());
    if (existing > 0) return { created: false };
    // 24 random bytes as base64url: 32 characters, 192 bits.
    const password = randomBytes(24).toString('base64url');
    const passwordHash = await this.deps.hasher.hash(password);
    const passwordFile = join(dataDir, INITIAL_ADMIN_PASSWORD_FILE);
    const at = this.deps.clock.now();
    const context: ActingContext = { actor: { kind: 'system', component: 'first-start' }, source: { address: null, userAgent: null } };
    // The file first: if the transaction then fails, the stale file is removed and nothing exists.
    // A file left by an earlier start that crashed before committing is replaced.
    await unlink(passwordFile).catch(() => undefined);
    await writeOwnerOnly(passwordFile, `${password}\n`);
    try {
      const created = await this.deps.store.transaction(async (tx) => {
        if ((await tx.countUsers()) > 0) return false;
        const user = await tx.insertUser({ loginName: 'admin', displayName: 'admin', kana: null, roles: ['admin'], passwordHash, mustChangePassword: true, at });
        await this.emit(tx, context, 'create', user, { initialAdmin: true });
        return true;
      });
      if (!created) {
        await unlink(passwordFile).catch(() => undefined);
        return { created: false };
      }
    } catch (cause) {
      await unlink(passwordFile).catch(() => undefined);
      throw cause;
    }
    return { created: true, passwordFile };
  }

  private async changeUser(
    context: ActingContext,
    userId: string,
    operation: string,
    patchOf: (user: UserRecord) => Omit<UserPatch, 'updatedAt'>,
    alsoInTransaction?: (tx: IdentityTransaction, user: UserRecord) => Promise<void>,
  ): Promise<Result<UserView>> {
    const at = this.deps.clock.now();
    return this.deps.store.transaction(async (tx) => {
      const before = await tx.findUserById(userId);
      if (before === null) return err(kakuteiError('NOT_FOUND', 'no such user'));
      await tx.updateUser(before.id, { ...patchOf(before), updatedAt: at });
      if (alsoInTransaction !== undefined) await alsoInTransaction(tx, before);
      const after = (await tx.findUserById(before.id)) ?? before;
      await this.emit(tx, context, operation, after, snapshotOf(before, 'previous'));
      return ok(viewOf(after));
    });
  }

  private async emit(
    tx: IdentityTransaction,
    context: ActingContext,
    operation: string,
    user: UserRecord,
    extra: Readonly<Record<string, string | number | boolean | null>> = {},
  ): Promise<void> {
    await tx.audit.append({
      action: 'user-change',
      outcome: 0,
      actor: auditActorOf(context.actor),
      source: context.source,
      objects: [],
      breakGlass: false,
      detail: { operation, ...snapshotOf(user), ...extra },
    });
  }
}

/** Creates a file only the owner can read (O_EXCL: never over an existing file), durably. */
async function writeOwnerOnly(path: string, content: string): Promise<void> {
  const handle = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  try {
    await handle.chmod(0o600); // the umask could only have removed bits, but say it explicitly
    await handle.writeFile(content, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  // The file's entry in its directory, too: without it the password could be lost with the name.
  await fsyncDirectory(dirname(path));
}
