import type { Clock } from '../clock/index.js';
import type { KakuteiConfig } from '../config/index.js';
import { AuditTrail, Checkpointer, loadOrCreateSigningKey } from '../audit/index.js';
import { AtnaForwarder } from '../audit/atna/forwarder.js';
import type { Database } from '../index/index.js';
import { createSqlAuditStore } from '../index/index.js';
import type { SqlAuditStore } from '../index/index.js';
import type { Logger } from '../log/index.js';

export interface AuditServices {
  readonly store: SqlAuditStore;
  readonly trail: AuditTrail;
  stop(): Promise<void>;
}

/**
 * The audit trail with what keeps it honest from outside the database: signed checkpoints in the
 * data directory and, when configured, the ATNA copy on an audit record repository.
 */
export async function startAuditServices(config: KakuteiConfig, database: Database, clock: Clock, logger: Logger): Promise<AuditServices> {
  const store = createSqlAuditStore(database, { clock });
  let atna: AtnaForwarder | null = null;
  const trail = new AuditTrail({ store, clock, logger, onAppended: () => atna?.wake() });
  const key = await loadOrCreateSigningKey(config.dataDir);
  if (config.audit.atna.enabled) {
    const { host, port, tls, maxSpoolBytes } = config.audit.atna;
    atna = new AtnaForwarder({
      dataDir: config.dataDir,
      events: store,
      destination: { host, port, tls },
      context: { auditSourceId: config.dicom.aeTitle, processUserId: config.dicom.aeTitle, aeTitle: config.dicom.aeTitle },
      clock,
      logger,
      maxSpoolBytes,
    });
    await atna.start();
  }
  const checkpointer = new Checkpointer({
    dataDir: config.dataDir,
    head: () => store.head(),
    key,
    clock,
    logger,
    intervalMs: config.audit.checkpointIntervalMs,
    onCheckpoint: (checkpoint) => atna?.emitCheckpoint(checkpoint),
  });
  await checkpointer.start();
  return {
    store,
    trail,
    async stop() {
      await checkpointer.stop();
      await atna?.stop();
    },
  };
}
