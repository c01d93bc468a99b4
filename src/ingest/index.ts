export { IngestService } from './ingest-service.js';
export type { IngestDependencies, IngestLimits, IngestRequest, IngestResult, ObjectReceiver, StoredSummary } from './ingest-service.js';
export type { InstanceIndex, ReceivedInstance, ReceiptSource, RecordOutcome, RecordRequest, InstanceFlag } from './ports.js';
export { isValidUid } from './uids.js';
