export { IngestService } from './ingest-service.js';
export type { IngestDependencies, IngestLimits, IngestRequest, IngestResult, ObjectReceiver } from './ingest-service.js';
export type { InstanceIndex, ReceivedInstance, ReceiptSource, RecordOutcome, InstanceFlag } from './ports.js';
export { isValidUid } from './uids.js';
