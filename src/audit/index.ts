/**
 * The audit trail's public face (issue 3 §6–7). The SQL side lives in src/index/audit-store.ts
 * (`createSqlAuditStore`, `appendAuditEvent`); the composition root wires the two.
 */
export type { AuditAction, AuditActor, AuditEventInput, AuditObject, AuditOutcome, AuditSink, AuditSource } from './events.js';
export { AUDIT_ACTIONS, ALL_AUDIT_ACTIONS, EVENT_IDS, EVENT_TYPES, isAuditAction, type AuditActionMapping, type DicomCode } from './actions.js';
export { GENESIS_HASH, canonicalJson, canonicalSerialization, chainHash, draftOf, type AuditEventDraft, type AuditEventRecord, type DraftOptions } from './record.js';
export type { AuditEventStore, ChainHead, StoredObjectCatalog, StoredObjectRef } from './ports.js';
export { AuditTrail, AuditUnavailableError, type AuditHealth, type AuditTrailOptions } from './audit-trail.js';
export { Checkpointer, checkpointsPath, parseCheckpoints, signCheckpoint, type Checkpoint, type CheckpointerOptions } from './checkpoint.js';
export { loadOrCreateSigningKey, loadVerifyingKey, signingKeyPaths, type SigningKey, type VerifyingKey } from './signing-key.js';
export { verifyAuditChain, type ChainVerification, type VerifyChainOptions } from './verify-chain.js';
export { verifyStoredObjects, type ObjectCursor } from './verify-objects.js';
export { progressPath, runVerification, type VerificationInput, type VerificationResult } from './verify.js';
