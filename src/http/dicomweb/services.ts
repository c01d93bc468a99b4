import type { Clock } from '../../clock/index.js';
import { DEFAULT_MAX_INFLATED_DATASET_BYTES, type DecodePool } from '../../imaging/index.js';
import type { Database } from '../../index/index.js';
import type { IngestService } from '../../ingest/index.js';
import type { Logger } from '../../log/index.js';
import type { ObjectStore } from '../../storage/index.js';
import { FrameViewLedger } from './frame-views.js';

/** DICOMweb limits and cross-origin settings (config `http.dicomweb`, `http.cors`). */
export interface DicomwebSettings {
  /** QIDO-RS matches per request; beyond: `Warning: 299` (PS3.18 8.3.4.4). */
  readonly maxQueryMatches: number;
  readonly maxStowBytes: number;
  readonly maxStowPartBytes: number;
  /** A STOW-RS body idle for this long is abandoned. */
  readonly bodyIdleTimeoutMs: number;
  /** Exact origins (`scheme://host[:port]`) allowed cross-origin; empty: none. */
  readonly corsOrigins: readonly string[];
  /** Private SOP classes accepted for storage besides the standard ones (config `dicom.privateSopClasses`). */
  readonly privateSopClasses: readonly string[];
  /** Cap on an inflated deflated dataset when one is transcoded for WADO-RS (config `storage.maxInflatedBytes`). */
  readonly maxInflatedBytes: number;
}

/** What the DICOMweb routes act through, passed by the composition root. */
export interface DicomwebServices {
  readonly database: Database;
  readonly store: ObjectStore;
  readonly ingest: Pick<IngestService, 'begin'>;
  /** The one decode pool of the process (created and closed by the composition root). */
  readonly decodePool: DecodePool;
  readonly settings: DicomwebSettings;
  /** Our Implementation Class UID and Version Name, for the file meta group of a transcoded instance. */
  readonly implementation: { readonly classUid: string; readonly versionName: string };
  readonly frameViews: FrameViewLedger;
  readonly clock: Clock;
  readonly logger: Logger;
}

export const DEFAULT_DICOMWEB_SETTINGS: DicomwebSettings = {
  maxQueryMatches: 1000,
  maxStowBytes: 8 * 1024 * 1024 * 1024,
  maxStowPartBytes: 4 * 1024 * 1024 * 1024,
  bodyIdleTimeoutMs: 60_000,
  corsOrigins: [],
  privateSopClasses: [],
  maxInflatedBytes: DEFAULT_MAX_INFLATED_DATASET_BYTES,
};

export function createDicomwebServices(parts: Omit<DicomwebServices, 'frameViews' | 'settings'> & { readonly settings?: Partial<DicomwebSettings> }): DicomwebServices {
  return { ...parts, settings: { ...DEFAULT_DICOMWEB_SETTINGS, ...parts.settings }, frameViews: new FrameViewLedger() };
}
