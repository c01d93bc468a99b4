import { z } from 'zod';

/**
 * The one configuration schema. Every option has its default beside it; `config/kakutei.sample.yaml`
 * explains each in words. Validation reports every problem at once.
 */
const aeTitle = z
  .string()
  .min(1)
  .max(16)
  .regex(/^[\x20-\x5b\x5d-\x7e]+$/, 'AE titles are 1–16 printable ASCII characters without a backslash')
  .refine((value) => value.trim().length > 0, 'AE title must not be blank');

const port = z.number().int().min(0).max(65535);

export const configSchema = z
  .object({
    dataDir: z.string().min(1).default('./data'),
    /** `postgres://…` selects PostgreSQL; absent means the SQLite file `<dataDir>/kakutei.sqlite`. */
    databaseUrl: z.string().min(1).nullable().default(null),
    log: z.object({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info') }).strict().default({}),
    http: z
      .object({
        host: z.string().default('0.0.0.0'),
        port: port.default(8080),
      })
      .strict()
      .default({}),
    dicom: z
      .object({
        host: z.string().default('0.0.0.0'),
        port: port.default(11112),
        aeTitle: aeTitle.default('KAKUTEI'),
        /** Refuse associations whose Called AE Title is not ours (PS3.8 9.3.4, reject reason 7). */
        checkCalledAeTitle: z.boolean().default(true),
        /** `null`: any calling AE may echo and store. A list closes storage to everyone else. */
        allowedCallingAeTitles: z.array(aeTitle).nullable().default(null),
        maxAssociations: z.number().int().min(1).max(4096).default(64),
        maxAssociationsPerPeer: z.number().int().min(1).max(4096).default(32),
        /** Largest PDU we accept (advertised in A-ASSOCIATE-AC). */
        maxPduBytes: z.number().int().min(4096).max(16 * 1024 * 1024).default(262144),
        /** Time allowed between connection and A-ASSOCIATE-RQ (ARTIM, PS3.8 9.1.5). */
        artimTimeoutMs: z.number().int().min(100).default(30_000),
        /** An association with no PDU for this long is aborted. */
        idleTimeoutMs: z.number().int().min(100).default(300_000),
        /** Private SOP class UIDs accepted for storage in addition to the standard ones. */
        privateSopClasses: z.array(z.string().regex(/^[0-9.]{1,64}$/)).default([]),
        /**
         * Character set assumed for a calling AE that sends non-ASCII text without declaring Specific
         * Character Set (e.g. old devices sending Shift_JIS). Keys are calling AE titles; `*` applies to all.
         */
        fallbackCharacterSets: z.record(z.string(), z.enum(['shift_jis', 'euc-jp', 'iso-2022-jp', 'utf-8', 'latin1'])).default({}),
      })
      .strict()
      .default({}),
    storage: z
      .object({
        /** Refuse new objects (A700) when free space falls below this many bytes. */
        freeSpaceWatermarkBytes: z.number().int().min(0).default(1024 * 1024 * 1024),
        /** Dataset bytes kept in memory per object to read its header; longer headers are re-read from disk. */
        headerBufferBytes: z.number().int().min(64 * 1024).default(4 * 1024 * 1024),
        /** Upper bound for a header (everything before Pixel Data); longer ones are refused as unparseable. */
        maxHeaderBytes: z.number().int().min(64 * 1024).default(256 * 1024 * 1024),
        /** A deflated dataset that inflates beyond this many bytes is refused (decompression bomb). */
        maxInflatedBytes: z.number().int().min(1024 * 1024).default(256 * 1024 * 1024),
      })
      .strict()
      .default({}),
  })
  .strict();

export type KakuteiConfig = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
