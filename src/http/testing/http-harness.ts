import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { AuditTrail, AuditUnavailableError, type AuditEventInput, type AuditEventRecord } from '../../audit/index.js';
import { argon2idHasher, base32Decode, createAuthServices, totpAt, type AuthServices, type AuthSettings, type UserView } from '../../auth/index.js';
import { configSchema } from '../../config/schema.js';
import { createAuditSearch, createInstanceIndex, createSqlAuditStore, type Database } from '../../index/index.js';
import { createIdentityStore } from '../../index/identity-store.js';
import { silentLogger } from '../../log/logger.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME } from '../../config/index.js';
import { DecodePool } from '../../imaging/index.js';
import { IngestService } from '../../ingest/index.js';
import { createFilesystemStore, type ObjectStore } from '../../storage/index.js';
import { buildHttpApp, type HttpsMaterial } from '../app.js';
import { createDicomwebServices, type DicomwebSettings } from '../dicomweb/index.js';

/**
 * The HTTP application over a real database and the real services, for integration tests: a
 * clock the test moves, users created by the `system` actor, and a switch that makes the audit
 * trail fail (to see accesses refused).
 */
export const TEST_PASSWORD = 'correct horse battery staple';
export const SYSTEM = { actor: { kind: 'system' as const, component: 'test' }, source: { address: null, userAgent: 'test' } };

/** A database for one test file (`createTestDatabase` in src/index/testing), disposed by `close`. */
export interface HarnessDatabase {
  readonly db: Database;
  dispose(): Promise<void>;
}

export interface LoggedIn {
  readonly token: string;
  readonly csrfToken: string;
  readonly stage: string;
  readonly setCookie: string;
}

export interface HttpHarness {
  readonly app: FastifyInstance;
  readonly db: HarnessDatabase;
  readonly services: AuthServices;
  readonly clock: { now(): Date; advance(ms: number): void };
  /** The object store and ingest core behind DICOMweb (a temporary directory, removed by `close`). */
  readonly store: ObjectStore;
  readonly ingest: IngestService;
  /** While true, every access event fails to be written (AUDIT_UNAVAILABLE). */
  auditBroken: boolean;
  addUser(loginName: string, roles: readonly string[], options?: { readonly mustChangePassword?: boolean }): Promise<UserView>;
  /** Logs in over HTTP; fails the test on anything but 200. */
  login(loginName: string, password?: string, totp?: string): Promise<LoggedIn>;
  /** A user with a confirmed TOTP second factor; returns a function giving the current code. */
  enrolTotp(user: UserView): Promise<() => string>;
  addStudy(studyInstanceUid: string, patientId: string): Promise<void>;
  head(): Promise<number>;
  eventsAfter(seq: number): Promise<AuditEventRecord[]>;
  call(method: string, url: string, options?: { token?: string | null; body?: unknown; headers?: Record<string, string> }): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export async function createHttpHarness(
  db: HarnessDatabase,
  options: { settings?: Partial<AuthSettings>; https?: HttpsMaterial | null; dicomweb?: Partial<DicomwebSettings> } = {},
): Promise<HttpHarness> {
  let now = Date.UTC(2025, 0, 6, 9, 0, 0);
  const clock = { now: () => new Date(now), advance: (ms: number) => void (now += ms) };
  const logger = silentLogger();
  const auditStore = createSqlAuditStore(db.db, { clock });
  const trail = new AuditTrail({ store: auditStore, clock, logger });
  const store = createIdentityStore(db.db, { auditSinkFor: (trx) => auditStore.sinkFor(trx) });
  const settings: AuthSettings = { ...configSchema.parse({}).auth, ...options.settings };
  const services = createAuthServices({ store, clock, settings, hasher: argon2idHasher() }, { configuredPeers: [], openStorage: true });
  const index = createInstanceIndex(db.db, { audit: auditStore });
  const storeDir = await mkdtemp(join(tmpdir(), 'kakutei-http-'));
  const objectStore = await createFilesystemStore({ rootDir: storeDir });
  const ingest = new IngestService({
    store: objectStore,
    index,
    clock,
    logger,
    limits: { headerBufferBytes: 4 * 1024 * 1024, maxHeaderBytes: 64 * 1024 * 1024, freeSpaceWatermarkBytes: 0, maxInflatedBytes: 64 * 1024 * 1024 },
    implementation: { classUid: IMPLEMENTATION_CLASS_UID, versionName: IMPLEMENTATION_VERSION_NAME },
    fallbackCharsetFor: () => null,
  });
  const decodePool = new DecodePool({ workers: 1 });

  const harness: HttpHarness = {
    app: undefined as unknown as FastifyInstance,
    db,
    services,
    clock,
    store: objectStore,
    ingest,
    auditBroken: false,
    async addUser(loginName, roles, userOptions = {}) {
      const created = await services.users.createUser(SYSTEM, { loginName, displayName: `${loginName} 表示名`, kana: null, roles, password: TEST_PASSWORD, mustChangePassword: userOptions.mustChangePassword ?? false });
      if (!created.ok) throw new Error(`cannot create ${loginName}: ${created.error.code}`);
      return created.value;
    },
    async login(loginName, password = TEST_PASSWORD, totp) {
      const response = await harness.call('POST', '/api/session', { token: null, body: { username: loginName, password, ...(totp === undefined ? {} : { totp }) } });
      if (response.statusCode !== 200) throw new Error(`login ${loginName}: ${response.statusCode} ${response.body}`);
      const body = response.json<{ token: string; csrfToken: string; stage: string }>();
      return { token: body.token, csrfToken: body.csrfToken, stage: body.stage, setCookie: String(response.headers['set-cookie']) };
    },
    async enrolTotp(user) {
      const login = await services.sessions.login({ loginName: user.loginName, password: TEST_PASSWORD, source: SYSTEM.source });
      if (!login.ok) throw new Error('login for enrolment failed');
      const session = await services.sessions.authenticate(login.value.token);
      if (!session.ok) throw new Error('session for enrolment failed');
      const enrolment = await services.account.beginTotpEnrolment(session.value);
      if (!enrolment.ok) throw new Error('enrolment failed');
      const secret = base32Decode(enrolment.value.secret);
      if (secret === null) throw new Error('bad secret');
      const code = (): string => totpAt(secret, clock.now());
      const confirmed = await services.account.confirmTotpEnrolment(session.value, code(), SYSTEM.source);
      if (!confirmed.ok) throw new Error('confirmation failed');
      // A code once accepted cannot be used again: the next one is 30 s later.
      clock.advance(30_000);
      return code;
    },
    async addStudy(studyInstanceUid, patientId) {
      const at = clock.now().toISOString();
      const patient = await db.db.kysely.insertInto('patients').values({ patient_id: patientId, issuer_of_patient_id: '', created_at: at }).returning('id').executeTakeFirstOrThrow();
      await db.db.kysely.insertInto('studies').values({ study_instance_uid: studyInstanceUid, patient_fk: patient.id, created_at: at, updated_at: at }).execute();
    },
    async head() {
      return (await auditStore.head())?.seq ?? 0;
    },
    async eventsAfter(seq) {
      return auditStore.readFrom(seq + 1, 1000);
    },
    async call(method, url, callOptions = {}) {
      const headers: Record<string, string> = { 'user-agent': 'kakutei-test', ...callOptions.headers };
      if (callOptions.token !== undefined && callOptions.token !== null) headers['authorization'] = `Bearer ${callOptions.token}`;
      return harness.app.inject({
        method: method as 'GET',
        url,
        headers,
        ...(callOptions.body === undefined ? {} : { payload: callOptions.body as Record<string, unknown> }),
      });
    },
    async close() {
      await harness.app.close();
      await decodePool.close();
      await objectStore.close();
      await rm(storeDir, { recursive: true, force: true });
      await db.dispose();
    },
  };
  const app = buildHttpApp({
    logger,
    health: () => Promise.resolve({ status: trail.healthy() ? 'ok' : 'failing', parts: { audit: trail.healthy() ? 'ok' : 'failing' } }),
    https: options.https ?? null,
    auth: services,
    audit: {
      record: (event: AuditEventInput) => (harness.auditBroken ? Promise.reject(new AuditUnavailableError(new Error('test: audit broken'))) : trail.record(event)),
    },
    auditSearch: createAuditSearch(db.db),
    studies: index,
    dicomweb: createDicomwebServices({
      database: db.db,
      store: objectStore,
      ingest,
      decodePool,
      clock,
      logger,
      implementation: { classUid: IMPLEMENTATION_CLASS_UID, versionName: IMPLEMENTATION_VERSION_NAME },
      settings: options.dicomweb ?? {},
    }),
  });
  (harness as { app: FastifyInstance }).app = app;
  await app.ready();
  return harness;
}
