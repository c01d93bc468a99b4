import { z } from 'zod';
import { fail, unwrap } from '../problem.js';
import { NO_QUERY, defineRoute, type Route } from '../route.js';
import { idParam, isoTime, iso, passwordSchema, roleSchema, userJson, userViewSchema } from './schemas.js';

/**
 * Account administration (`user:manage`, admins). Every change is a `user-change` event written by
 * the user service in the change's own transaction, with a snapshot of the user before and after.
 * Reading the accounts discloses no patient information and is not itself an event.
 */
const NOT_AUDITED_READ = 'account administration read: no patient information; every change to accounts is a user-change event';
const userParams = z.object({ userId: idParam }).strict();
const nameSchema = z.string().min(1).max(128);

const list = defineRoute({
  method: 'GET',
  url: '/api/users',
  summary: 'List users',
  tag: 'users',
  access: 'user:manage',
  audit: { action: null, reason: NOT_AUDITED_READ },
  params: z.object({}).strict(),
  query: NO_QUERY,
  body: null,
  response: { status: 200, schema: z.object({ users: z.array(userViewSchema) }), description: 'Every user' },
  errors: [],
  async handler({ services }) {
    return { users: (await services.auth.users.listUsers()).map(userJson) };
  },
});

const create = defineRoute({
  method: 'POST',
  url: '/api/users',
  summary: 'Create a user (must change the password at first login unless told otherwise)',
  tag: 'users',
  access: 'user:manage',
  audit: { action: 'user-change', writtenBy: 'service' },
  params: z.object({}).strict(),
  query: NO_QUERY,
  body: z
    .object({
      loginName: z.string().min(1).max(64),
      displayName: nameSchema.nullable().optional(),
      kana: nameSchema.nullable().optional(),
      roles: z.array(roleSchema).min(1).max(6),
      password: passwordSchema,
      mustChangePassword: z.boolean().optional(),
    })
    .strict(),
  response: { status: 201, schema: userViewSchema, description: 'Created' },
  errors: ['ALREADY_EXISTS', 'PASSWORD_POLICY'],
  async handler({ body, acting, services }) {
    const input = {
      loginName: body.loginName,
      displayName: body.displayName ?? null,
      kana: body.kana ?? null,
      roles: body.roles,
      password: body.password,
      ...(body.mustChangePassword === undefined ? {} : { mustChangePassword: body.mustChangePassword }),
    };
    return userJson(unwrap(await services.auth.users.createUser(acting(), input)));
  },
});

const get = defineRoute({
  method: 'GET',
  url: '/api/users/:userId',
  summary: 'One user',
  tag: 'users',
  access: 'user:manage',
  audit: { action: null, reason: NOT_AUDITED_READ },
  params: userParams,
  query: NO_QUERY,
  body: null,
  response: { status: 200, schema: userViewSchema, description: 'The user' },
  errors: ['NOT_FOUND'],
  async handler({ params, services }) {
    const user = await services.auth.users.getUser(params.userId);
    return user === null ? fail('NOT_FOUND', 'no such user') : userJson(user);
  },
});

const update = defineRoute({
  method: 'PATCH',
  url: '/api/users/:userId',
  summary: 'Change a user’s display name, kana or roles (past events keep their snapshots)',
  tag: 'users',
  access: 'user:manage',
  audit: { action: 'user-change', writtenBy: 'service' },
  params: userParams,
  query: NO_QUERY,
  body: z.object({ displayName: nameSchema.optional(), kana: nameSchema.nullable().optional(), roles: z.array(roleSchema).min(1).max(6).optional() }).strict(),
  response: { status: 200, schema: userViewSchema, description: 'The user as changed' },
  errors: ['NOT_FOUND'],
  async handler({ params, body, acting, services }) {
    const change = {
      ...(body.displayName === undefined ? {} : { displayName: body.displayName }),
      ...(body.kana === undefined ? {} : { kana: body.kana }),
      ...(body.roles === undefined ? {} : { roles: body.roles }),
    };
    return userJson(unwrap(await services.auth.users.updateUser(acting(), params.userId, change)));
  },
});

const setDisabled = (disabled: boolean): Route =>
  defineRoute({
    method: 'POST',
    url: disabled ? '/api/users/:userId/disable' : '/api/users/:userId/enable',
    summary: disabled ? 'Disable a user: every session of theirs ends at once' : 'Enable a disabled user',
    tag: 'users',
    access: 'user:manage',
    audit: { action: 'user-change', writtenBy: 'service' },
    params: userParams,
    query: NO_QUERY,
    body: z.object({}).strict(),
    response: { status: 200, schema: userViewSchema, description: 'The user as changed' },
    errors: ['NOT_FOUND'],
    async handler({ params, acting, services }) {
      return userJson(unwrap(await services.auth.users.setDisabled(acting(), params.userId, disabled)));
    },
  });

const resetPassword = defineRoute({
  method: 'POST',
  url: '/api/users/:userId/password',
  summary: 'Set a new password for a user (to be changed at next login); lifts a lockout and ends their sessions',
  tag: 'users',
  access: 'user:manage',
  audit: { action: 'user-change', writtenBy: 'service' },
  params: userParams,
  query: NO_QUERY,
  body: z.object({ password: passwordSchema }).strict(),
  response: { status: 200, schema: userViewSchema, description: 'The user as changed' },
  errors: ['NOT_FOUND', 'PASSWORD_POLICY'],
  async handler({ params, body, acting, services }) {
    return userJson(unwrap(await services.auth.users.resetPassword(acting(), params.userId, body.password)));
  },
});

const trainingSchema = z.object({ course: z.string(), completedOn: z.string(), recordedAt: isoTime });

const listTraining = defineRoute({
  method: 'GET',
  url: '/api/users/:userId/training',
  summary: 'A user’s training records (guideline §4 ⑬)',
  tag: 'users',
  access: 'user:manage',
  audit: { action: null, reason: NOT_AUDITED_READ },
  params: userParams,
  query: NO_QUERY,
  body: null,
  response: { status: 200, schema: z.object({ training: z.array(trainingSchema) }), description: 'The records' },
  errors: ['NOT_FOUND'],
  async handler({ params, services }) {
    if ((await services.auth.users.getUser(params.userId)) === null) return fail('NOT_FOUND', 'no such user');
    const records = await services.auth.users.listTraining(params.userId);
    return { training: records.map((r) => ({ course: r.course, completedOn: r.completedOn, recordedAt: iso(r.recordedAt) })) };
  },
});

const recordTraining = defineRoute({
  method: 'POST',
  url: '/api/users/:userId/training',
  summary: 'Record a completed training course',
  tag: 'users',
  access: 'user:manage',
  audit: { action: 'user-change', writtenBy: 'service' },
  params: userParams,
  query: NO_QUERY,
  body: z.object({ course: z.string().min(1).max(200), completedOn: z.string().regex(/^\d{4}-\d{2}-\d{2}$/) }).strict(),
  response: { status: 201, schema: z.object({ recorded: z.literal(true) }), description: 'Recorded' },
  errors: ['NOT_FOUND'],
  async handler({ params, body, acting, services }) {
    unwrap(await services.auth.users.recordTraining(acting(), params.userId, body));
    return { recorded: true as const };
  },
});

const resetSecondFactor = defineRoute({
  method: 'DELETE',
  url: '/api/users/:userId/second-factor',
  summary: 'Remove a user’s second factor (a lost phone); they enrol again if required',
  tag: 'users',
  access: 'user:manage',
  audit: { action: 'user-change', writtenBy: 'service' },
  params: userParams,
  query: NO_QUERY,
  body: null,
  response: { status: 200, schema: userViewSchema, description: 'The user as changed' },
  errors: ['NOT_FOUND'],
  async handler({ params, acting, services }) {
    return userJson(unwrap(await services.auth.users.resetSecondFactor(acting(), params.userId)));
  },
});

export const userRoutes: readonly Route[] = [list, create, get, update, setDisabled(true), setDisabled(false), resetPassword, listTraining, recordTraining, resetSecondFactor];
