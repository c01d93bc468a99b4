import { z } from 'zod';
import { clearedSessionCookie, sessionCookie } from '../credentials.js';
import { fail, unwrap } from '../problem.js';
import { NO_PARAMS, NO_QUERY, defineRoute, type Route } from '../route.js';
import { isoTime, passwordSchema, stageResponse, stageSchema, totpCodeSchema, iso, userJson, userViewSchema } from './schemas.js';

/**
 * Logging in and out (INTERFACES.md: `POST /api/session` with `{"username","password"}` →
 * `200 {"token": …}` and a session cookie; `DELETE /api/session`), finishing a login with the
 * second factor, and re-authenticating for sensitive operations. The services write the `login` /
 * `logout` events (failures too, naming the real cause only in the event).
 */
const loginBody = z
  .object({
    username: z.string().min(1).max(256),
    password: passwordSchema,
    /** The TOTP code, when the client has it at once; otherwise the session waits for it. */
    totp: totpCodeSchema.optional(),
  })
  .strict();

const loginResponse = z.object({
  token: z.string(),
  /** Send in `X-CSRF-Token` on unsafe requests authenticated by the cookie. */
  csrfToken: z.string(),
  stage: stageSchema,
  mustChangePassword: z.boolean(),
  totpRequired: z.boolean(),
  totpEnrolmentRequired: z.boolean(),
  expiresAt: isoTime,
  idleTimeoutSeconds: z.number().int(),
});

const login = defineRoute({
  method: 'POST',
  url: '/api/session',
  summary: 'Log in with login name and password (and TOTP code); returns a bearer token and sets the session cookie',
  tag: 'session',
  access: 'public',
  audit: { action: 'login', writtenBy: 'service' },
  params: NO_PARAMS,
  query: NO_QUERY,
  body: loginBody,
  response: { status: 200, schema: loginResponse, description: 'Logged in; `stage` says what the login still needs' },
  errors: ['AUTH_FAILED'],
  async handler({ body, source, reply, secure, services }) {
    const result = unwrap(await services.auth.sessions.login({ loginName: body.username, password: body.password, totp: body.totp, source }));
    void reply.header('set-cookie', sessionCookie(result.token, secure));
    return {
      token: result.token,
      csrfToken: result.csrfToken,
      stage: result.stage,
      mustChangePassword: result.mustChangePassword,
      totpRequired: result.totpRequired,
      totpEnrolmentRequired: result.totpEnrolmentRequired,
      expiresAt: iso(result.expiresAt),
      idleTimeoutSeconds: Math.floor(result.idleTimeoutMs / 1000),
    };
  },
});

const sessionState = defineRoute({
  method: 'GET',
  url: '/api/session',
  summary: 'The current session: its stage, timeouts, break-glass window and maintenance session',
  tag: 'session',
  access: 'authenticated',
  audit: { action: null, reason: "one's own session state: no patient or other user's information" },
  params: NO_PARAMS,
  query: NO_QUERY,
  body: null,
  response: {
    status: 200,
    schema: z.object({
      sessionId: z.string(),
      stage: stageSchema,
      userId: z.string(),
      loginName: z.string(),
      roles: z.array(z.string()),
      expiresAt: isoTime,
      breakGlass: z.object({ id: z.string(), expiresAt: isoTime }).nullable(),
      maintenance: z.object({ id: z.string(), active: z.boolean() }).nullable(),
    }),
    description: 'The session',
  },
  errors: [],
  handler({ user, session }) {
    const subject = user();
    if (session === null) return fail('SESSION_EXPIRED');
    return Promise.resolve({
      sessionId: session.sessionId,
      stage: session.stage,
      userId: subject.userId,
      loginName: subject.loginName,
      roles: [...subject.roles],
      expiresAt: iso(session.expiresAt),
      breakGlass: subject.breakGlass === null ? null : { id: subject.breakGlass.id, expiresAt: iso(subject.breakGlass.expiresAt) },
      maintenance: subject.maintenance,
    });
  },
});

const logout = defineRoute({
  method: 'DELETE',
  url: '/api/session',
  summary: 'Log out: ends the session and clears the cookie',
  tag: 'session',
  access: 'authenticated',
  audit: { action: 'logout', writtenBy: 'service' },
  params: NO_PARAMS,
  query: NO_QUERY,
  body: null,
  response: { status: 204, schema: null, description: 'Logged out' },
  errors: [],
  async handler({ token, source, reply, secure, services }) {
    if (token === null) return fail('SESSION_EXPIRED');
    unwrap(await services.auth.sessions.logout(token, source));
    void reply.header('set-cookie', clearedSessionCookie(secure));
    return undefined;
  },
});

const secondFactor = defineRoute({
  method: 'POST',
  url: '/api/session/second-factor',
  summary: 'Complete a login waiting for its second factor (TOTP, RFC 6238)',
  tag: 'session',
  access: 'authenticated',
  audit: { action: 'login', writtenBy: 'service' },
  params: NO_PARAMS,
  query: NO_QUERY,
  body: z.object({ code: totpCodeSchema }).strict(),
  response: { status: 200, schema: stageResponse, description: 'Accepted; the next stage of the login' },
  errors: ['AUTH_FAILED', 'STATE_CONFLICT'],
  async handler({ body, session, source, services }) {
    if (session === null) return fail('SESSION_EXPIRED');
    return unwrap(await services.auth.account.completeSecondFactor(session, body.code, source));
  },
});

const reauthenticate = defineRoute({
  method: 'POST',
  url: '/api/session/reauthenticate',
  summary: 'Re-authenticate (password, and TOTP when enrolled) before a sensitive operation',
  tag: 'session',
  access: 'authenticated',
  audit: { action: 'login', writtenBy: 'service' },
  params: NO_PARAMS,
  query: NO_QUERY,
  body: z.object({ password: passwordSchema, totp: totpCodeSchema.optional() }).strict(),
  response: { status: 200, schema: z.object({ reauthenticatedAt: isoTime }), description: 'Re-authenticated' },
  errors: ['AUTH_FAILED', 'ACCESS_DENIED'],
  async handler({ body, token, source, services }) {
    if (token === null) return fail('SESSION_EXPIRED');
    const result = unwrap(await services.auth.sessions.reauthenticate(token, body.password, body.totp, source));
    return { reauthenticatedAt: iso(result.reauthenticatedAt) };
  },
});

const me = defineRoute({
  method: 'GET',
  url: '/api/me',
  summary: 'One’s own account',
  tag: 'me',
  access: 'authenticated',
  audit: { action: null, reason: "one's own account: no patient or other user's information" },
  params: NO_PARAMS,
  query: NO_QUERY,
  body: null,
  response: { status: 200, schema: userViewSchema, description: 'The account' },
  errors: [],
  async handler({ user, services }) {
    const view = await services.auth.users.getUser(user().userId);
    if (view === null) return fail('SESSION_EXPIRED');
    return userJson(view);
  },
});

const changePassword = defineRoute({
  method: 'POST',
  url: '/api/me/password',
  summary: 'Change one’s own password (the current one is required); other sessions end',
  tag: 'me',
  access: 'authenticated',
  audit: { action: 'user-change', writtenBy: 'service' },
  params: NO_PARAMS,
  query: NO_QUERY,
  body: z.object({ currentPassword: passwordSchema, newPassword: passwordSchema }).strict(),
  response: { status: 200, schema: stageResponse, description: 'Changed; the next stage of the login' },
  errors: ['AUTH_FAILED', 'PASSWORD_POLICY', 'SECOND_FACTOR_REQUIRED'],
  async handler({ body, session, source, services }) {
    if (session === null) return fail('SESSION_EXPIRED');
    return unwrap(await services.auth.account.changePassword(session, body.currentPassword, body.newPassword, source));
  },
});

const beginTotp = defineRoute({
  method: 'POST',
  url: '/api/me/totp',
  summary: 'Begin enrolling a TOTP second factor: returns the secret and its otpauth URI',
  tag: 'me',
  access: 'authenticated',
  audit: { action: null, reason: 'nothing takes effect until the confirmation, which is recorded as user-change' },
  params: NO_PARAMS,
  query: NO_QUERY,
  body: z.object({}).strict(),
  response: { status: 200, schema: z.object({ secret: z.string(), otpauthUri: z.string() }), description: 'Enter the secret in an authenticator app, then confirm with a code' },
  errors: ['STATE_CONFLICT'],
  async handler({ session, services }) {
    if (session === null) return fail('SESSION_EXPIRED');
    return unwrap(await services.auth.account.beginTotpEnrolment(session));
  },
});

const confirmTotp = defineRoute({
  method: 'POST',
  url: '/api/me/totp/confirm',
  summary: 'Confirm the TOTP enrolment with a first code; from then on every login needs a code',
  tag: 'me',
  access: 'authenticated',
  audit: { action: 'user-change', writtenBy: 'service' },
  params: NO_PARAMS,
  query: NO_QUERY,
  body: z.object({ code: totpCodeSchema }).strict(),
  response: { status: 200, schema: stageResponse, description: 'Enrolled; the next stage of the login' },
  errors: ['AUTH_FAILED', 'STATE_CONFLICT'],
  async handler({ body, session, source, services }) {
    if (session === null) return fail('SESSION_EXPIRED');
    return unwrap(await services.auth.account.confirmTotpEnrolment(session, body.code, source));
  },
});

export const sessionRoutes: readonly Route[] = [login, sessionState, logout, secondFactor, reauthenticate, me, changePassword, beginTotp, confirmTotp];
