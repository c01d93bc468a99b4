import type { AuditEventInput } from '../audit/events.js';
import type { AuthServices } from '../auth/index.js';
import type { AuditSearch } from '../index/index.js';
import type { IndexedStudy } from '../index/index.js';
import type { DicomwebServices } from './dicomweb/services.js';

/** What the routes act through: the services, passed explicitly by the composition root. */
export interface HttpServices {
  readonly auth: AuthServices;
  /** Records accesses that change nothing; rejects when the event cannot be written. */
  readonly audit: { record(event: AuditEventInput): Promise<unknown> };
  readonly auditSearch: AuditSearch;
  readonly studies: { getStudy(studyInstanceUid: string): Promise<IndexedStudy | null> };
  /** The DICOMweb routes' database, object store, ingest core, decode pool and limits. */
  readonly dicomweb: DicomwebServices;
}

/** What /healthz reports: every part that must be ready before Kakutei accepts work. */
export interface HealthReport {
  readonly status: 'ok' | 'failing';
  readonly parts: Readonly<Record<string, 'ok' | 'failing'>>;
}
