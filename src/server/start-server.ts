import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { systemClock } from '../clock/index.js';
import type { Clock } from '../clock/index.js';
import type { KakuteiConfig } from '../config/index.js';
import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME } from '../config/index.js';
import { STORAGE_SOP_CLASSES, TRANSFER_SYNTAXES, VERIFICATION_SOP_CLASS_UID } from '../dicom/dictionary/index.js';
import { createDimseServer } from '../dicom/net/index.js';
import type { DimseServerOptions, DimseTlsOptions } from '../dicom/net/index.js';
import type { Result } from '../errors/index.js';
import { err, kakuteiError, ok } from '../errors/index.js';
import { buildHttpApp } from '../http/index.js';
import { createDicomwebServices } from '../http/dicomweb/index.js';
import { DecodePool } from '../imaging/index.js';
import type { HealthReport, HttpsMaterial } from '../http/index.js';
import { createAuditSearch, createInstanceIndex, openDatabase } from '../index/index.js';
import { IngestService } from '../ingest/index.js';
import type { Logger } from '../log/index.js';
import { createFilesystemStore, makeDirectoryDurably } from '../storage/index.js';
import { startAuditServices } from './audit-services.js';
import { peerRegistryAccess } from './peer-access.js';
import { argon2idHasher, configuredPeersOf, createAuthServices } from '../auth/index.js';
import { createIdentityStore } from '../index/identity-store.js';
import { QueryRetrieveSopClass, STORAGE_COMMITMENT_PUSH_SOP_CLASS } from '../dicom/net/index.js';
import { createDimseHandlers } from './dimse-adapter.js';

/** Query/Retrieve (Patient and Study Root: FIND, MOVE, GET) and Storage Commitment Push. */
const QUERY_RETRIEVE_SOP_CLASSES: ReadonlySet<string> = new Set([...Object.values(QueryRetrieveSopClass), STORAGE_COMMITMENT_PUSH_SOP_CLASS]);

/** The PEM files of DICOM TLS, read once at start (a missing file stops the start with its path). */
async function readDicomTls(tls: NonNullable<KakuteiConfig['dicom']['tls']>): Promise<DimseTlsOptions> {
  return {
    key: await readFile(tls.keyFile),
    cert: await readFile(tls.certFile),
    ...(tls.caFile === null ? {} : { ca: await readFile(tls.caFile) }),
    requireClientCertificate: tls.requireClientCertificate,
  };
}

export interface RunningServer {
  readonly dicomPort: number;
  /** The DICOM TLS port, when `dicom.tls` is configured. */
  readonly dicomTlsPort: number | null;
  readonly httpPort: number;
  close(): Promise<void>;
}

export interface ServerOptions {
  readonly clock?: Clock;
}

/**
 * The composition root: the only place that knows every adapter. It opens the index, the object
 * store and the services, then listens; it returns once both DICOM and HTTP accept connections.
 */
export async function startServer(config: KakuteiConfig, logger: Logger, options: ServerOptions = {}): Promise<Result<RunningServer>> {
  const clock = options.clock ?? systemClock;
  await makeDirectoryDurably(config.dataDir, 0o700);
  const databaseUrl = config.databaseUrl ?? join(config.dataDir, 'kakutei.sqlite');

  let database;
  try {
    database = await openDatabase(databaseUrl, logger);
  } catch (cause) {
    logger.error({ event: 'startup', part: 'database', err: cause }, 'cannot open the database');
    return err(kakuteiError('INDEX_UNAVAILABLE', 'cannot open the database'));
  }
  const audit = await startAuditServices(config, database, clock, logger);
  const index = createInstanceIndex(database, { audit: audit.store });
  const identityStore = createIdentityStore(database, { auditSinkFor: (trx) => audit.store.sinkFor(trx) });
  const auth = createAuthServices(
    { store: identityStore, clock, settings: config.auth, hasher: argon2idHasher() },
    { configuredPeers: configuredPeersOf(config), openStorage: config.dicom.openStorage },
  );
  const store = await createFilesystemStore({ rootDir: join(config.dataDir, 'objects'), directWrites: config.storage.directWrites });

  const ingest = new IngestService({
    store,
    index,
    clock,
    logger,
    limits: config.storage,
    implementation: { classUid: IMPLEMENTATION_CLASS_UID, versionName: IMPLEMENTATION_VERSION_NAME },
    fallbackCharsetFor: (source) => {
      const byAe = config.dicom.fallbackCharacterSets;
      return (source.callingAeTitle === null ? undefined : byAe[source.callingAeTitle]) ?? byAe['*'] ?? null;
    },
  });

  if (config.dicom.allowedCallingAeTitles === null && config.dicom.openStorage) {
    logger.warn({ event: 'security', kind: 'open-storage' }, 'any calling AE title may store: set dicom.allowedCallingAeTitles to restrict it');
  }
  // One decode pool for the process (DICOMweb and C-MOVE/C-GET transcoding): hostile frames cost a
  // worker, never the server (issue 4). Workers start on first use.
  const decodePool = new DecodePool();
  const privateClasses = new Set(config.dicom.privateSopClasses);
  const storageClasses = new Set(STORAGE_SOP_CLASSES.map((entry) => entry.uid));
  const dimseOptions: DimseServerOptions = {
    aeTitle: config.dicom.aeTitle,
    calledAeTitleCheck: config.dicom.checkCalledAeTitle ? 'exact' : 'any',
    implementationClassUid: IMPLEMENTATION_CLASS_UID,
    implementationVersionName: IMPLEMENTATION_VERSION_NAME,
    maxPduBytes: config.dicom.maxPduBytes,
    artimMs: config.dicom.artimTimeoutMs,
    idleMs: config.dicom.idleTimeoutMs,
    maxAssociations: config.dicom.maxAssociations,
    maxAssociationsPerPeer: config.dicom.maxAssociationsPerPeer,
    abstractSyntaxes: (uid: string) => uid === VERIFICATION_SOP_CLASS_UID || storageClasses.has(uid) || privateClasses.has(uid) || QUERY_RETRIEVE_SOP_CLASSES.has(uid),
    transferSyntaxes: TRANSFER_SYNTAXES.map((syntax) => ({ uid: syntax.uid, lossy: syntax.lossy })),
    handlers: createDimseHandlers({
      ingest,
      access: peerRegistryAccess(auth.peers, config, logger),
      audit: audit.trail,
      logger,
      queryRetrieve: {
        database,
        store,
        peers: auth.peers,
        maxMatches: config.dicom.maxQueryMatches,
        transcoding: { decodePool, maxInflatedBytes: config.storage.maxInflatedBytes },
      },
    }),
    logger,
  };
  const dimse = createDimseServer(dimseOptions);
  const dimseTls = config.dicom.tls === null ? null : createDimseServer({ ...dimseOptions, tls: await readDicomTls(config.dicom.tls) });

  const health = async (): Promise<HealthReport> => {
    const parts: Record<string, 'ok' | 'failing'> = {};
    await Promise.all([
      index.check().then(() => (parts['database'] = 'ok'), () => (parts['database'] = 'failing')),
      store.check().then(() => (parts['storage'] = 'ok'), () => (parts['storage'] = 'failing')),
    ]);
    parts['audit'] = audit.trail.healthy() ? 'ok' : 'failing';
    return { status: Object.values(parts).every((state) => state === 'ok') ? 'ok' : 'failing', parts };
  };
  // First start with no users: `admin` with a one-time password in a file only the owner reads.
  // The log names the file, never the password (issue 3 item 1).
  const initialAdmin = await auth.users.ensureInitialAdmin(config.dataDir);
  if (initialAdmin.created) {
    logger.warn({ event: 'initial-admin', passwordFile: initialAdmin.passwordFile }, 'created user admin: its one-time password is in the file named here; it must be changed at first login');
  }
  let https: HttpsMaterial | null = null;
  if (config.http.tls !== null) {
    try {
      https = { cert: await readFile(config.http.tls.certFile), key: await readFile(config.http.tls.keyFile) };
    } catch (cause) {
      logger.error({ event: 'startup', part: 'http-tls', err: cause }, 'cannot read the HTTPS certificate or key');
      await audit.stop().catch(() => undefined);
      await index.close().catch(() => undefined);
      return err(kakuteiError('CONFIG_INVALID', 'cannot read http.tls certFile or keyFile'));
    }
  }
  const dicomweb = createDicomwebServices({
    database,
    store,
    ingest,
    decodePool,
    clock,
    logger,
    implementation: { classUid: IMPLEMENTATION_CLASS_UID, versionName: IMPLEMENTATION_VERSION_NAME },
    settings: { ...config.http.dicomweb, corsOrigins: config.http.cors.origins, privateSopClasses: config.dicom.privateSopClasses, maxInflatedBytes: config.storage.maxInflatedBytes },
  });
  const http = buildHttpApp({ logger, health, https, auth, audit: audit.trail, auditSearch: createAuditSearch(database), studies: index, dicomweb, version: IMPLEMENTATION_VERSION_NAME });

  let dicomPort: number;
  let dicomTlsPort: number | null = null;
  let httpPort: number;
  try {
    ({ port: dicomPort } = await dimse.listen(config.dicom.port, config.dicom.host));
    if (dimseTls !== null && config.dicom.tls !== null) dicomTlsPort = (await dimseTls.listen(config.dicom.tls.port, config.dicom.host)).port;
    await http.listen({ port: config.http.port, host: config.http.host });
    const address = http.server.address();
    httpPort = typeof address === 'object' && address !== null ? address.port : config.http.port;
  } catch (cause) {
    logger.error({ event: 'startup', err: cause }, 'cannot listen');
    await dimse.close().catch(() => undefined);
    await dimseTls?.close().catch(() => undefined);
    await http.close().catch(() => undefined);
    await decodePool.close().catch(() => undefined);
    await audit.stop().catch(() => undefined);
    await index.close().catch(() => undefined);
    return err(kakuteiError('CONFIG_INVALID', `cannot listen: ${(cause as Error).message}`));
  }

  await audit.trail
    .record({ action: 'application-start', outcome: 0, actor: { kind: 'system', component: 'kakutei' }, source: { address: null, userAgent: null }, objects: [], breakGlass: false, detail: { dicomPort, httpPort } })
    .catch(() => undefined);
  logger.info(
    { event: 'started', pid: process.pid, aeTitle: config.dicom.aeTitle, dicomPort, dicomTlsPort, httpPort, database: database.dialect, dataDir: config.dataDir, storageSopClasses: storageClasses.size },
    'kakutei is ready',
  );
  return ok({
    dicomPort,
    dicomTlsPort,
    httpPort,
    close: async () => {
      await http.close();
      await decodePool.close();
      await dimse.close();
      await dimseTls?.close();
      await audit.trail
        .record({ action: 'application-stop', outcome: 0, actor: { kind: 'system', component: 'kakutei' }, source: { address: null, userAgent: null }, objects: [], breakGlass: false })
        .catch(() => undefined);
      await audit.stop();
      await store.close();
      await index.close();
    },
  });
}
