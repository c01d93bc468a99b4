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

/** A remote application entity (INTERFACES.md `kakutei peer add`); `host` null = any address. */
const peerSchema = z
  .object({
    aeTitle,
    host: z.string().min(1).nullable().default(null),
    port: port.nullable().default(null),
    name: z.string().min(1).max(64).nullable().default(null),
    allow: z.array(z.enum(['echo', 'store', 'query', 'retrieve', 'commit'])).min(1),
    /** Subject DN the peer's TLS client certificate must carry, when DICOM TLS is on. */
    tlsCertificateSubject: z.string().min(1).nullable().default(null),
  })
  .strict();

const roleName = z.enum(['technologist', 'chief-technologist', 'physician', 'admin', 'auditor', 'maintenance']);

/** Identity and access control (issue 3; docs/ACCESS.md). */
const authSchema = z
  .object({
    /** Shortest accepted password, in characters. */
    passwordMinLength: z.number().int().min(8).max(256).default(12),
    /** Days after which a password must be changed; null = never expires. */
    passwordExpiryDays: z.number().int().min(1).nullable().default(null),
    /** Consecutive failed logins that lock an account… */
    lockoutThreshold: z.number().int().min(1).max(100).default(5),
    /** …for this many minutes. */
    lockoutMinutes: z.number().int().min(1).default(15),
    /** A session unused this long ends (minutes). */
    sessionIdleMinutes: z.number().int().min(1).default(15),
    /** A session ends this long after login whatever its use (minutes). */
    sessionAbsoluteMinutes: z.number().int().min(1).default(12 * 60),
    /** How long a re-authentication covers sensitive operations (minutes). */
    reauthenticationMinutes: z.number().int().min(1).max(60).default(5),
    /** Roles whose users must present a TOTP second factor (RFC 6238) at login. */
    totpRequiredForRoles: z.array(roleName).default([]),
    /** true: users without a recorded required training cannot log in. */
    requireTraining: z.boolean().default(false),
    /** Courses every user must have completed when `requireTraining` is on; [] = any one record. */
    requiredTrainingCourses: z.array(z.string().min(1).max(200)).default([]),
    /** true: a maintenance session is active only once an admin has approved it. */
    maintenanceRequiresApproval: z.boolean().default(true),
    /** Length of a break-glass window (minutes). */
    breakGlassMinutes: z.number().int().min(1).max(24 * 60).default(30),
  })
  .strict();

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
        /** `null`: plain HTTP. Otherwise HTTPS (TLS 1.2 or later) with these PEM files; session cookies are then Secure. */
        tls: z.object({ certFile: z.string().min(1), keyFile: z.string().min(1) }).strict().nullable().default(null),
        /** Browser origins (e.g. an OHIF viewer at `https://viewer.example`) allowed to call DICOMweb cross-origin. None by default. */
        cors: z.object({ origins: z.array(z.string().regex(/^https?:\/\/[A-Za-z0-9.-]+(:[0-9]{1,5})?$/, 'scheme://host[:port]')).default([]) }).strict().default({}),
        dicomweb: z
          .object({
            /** QIDO-RS answers at most this many matches per request, then `Warning: 299` (PS3.18 8.3.4.4). */
            maxQueryMatches: z.number().int().min(1).max(100_000).default(1000),
            /** Largest STOW-RS request body (bytes), all parts together: beyond it 413. */
            maxStowBytes: z.number().int().min(1024).default(8 * 1024 * 1024 * 1024),
            /** Largest single instance in a STOW-RS request (bytes). */
            maxStowPartBytes: z.number().int().min(1024).default(4 * 1024 * 1024 * 1024),
            /** A STOW-RS body that sends nothing for this long is abandoned (slow-body attacks). */
            bodyIdleTimeoutMs: z.number().int().min(100).default(60_000),
          })
          .strict()
          .default({}),
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
        /**
         * DICOM over TLS (PS3.15 B.9/B.13) on a port of its own, beside the plain one; `null`: off.
         * With `requireClientCertificate`, peers must present a certificate issued by `caFile`; a
         * peer registered with `tlsCertificateSubject` is recognised only with that certificate.
         */
        tls: z
          .object({
            port: port.default(2762),
            certFile: z.string().min(1),
            keyFile: z.string().min(1),
            caFile: z.string().min(1).nullable().default(null),
            requireClientCertificate: z.boolean().default(true),
          })
          .strict()
          .nullable()
          .default(null),
        /** C-FIND answers at most this many matches, then ends with A700 (narrow the query). */
        maxQueryMatches: z.number().int().min(1).max(100_000).default(1000),
        /** true: any calling AE may C-ECHO and C-STORE (issue 3 item 3). false: registered peers only. */
        openStorage: z.boolean().default(true),
        /** Remote AEs known from the file; `kakutei peer add` registers more in the database. */
        peers: z.array(peerSchema).default([]),
      })
      .strict()
      .default({}),
    auth: authSchema.default({}),
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
        /** Write received objects directly to the device (O_DIRECT) where the filesystem allows; off: through the page cache. */
        directWrites: z.boolean().default(true),
      })
      .strict()
      .default({}),
    /** The audit trail (issue 3): signed checkpoints and the ATNA copy. */
    audit: z
      .object({
        /** How often the chain's head is signed into <dataDir>/audit/checkpoints.jsonl (only when it moved; also at shutdown). */
        checkpointIntervalMs: z.number().int().min(1000).default(60_000),
        atna: z
          .object({
            /** Send every event as a DICOM PS3.15 A.5 audit message over syslog (RFC 5424, octet counting). */
            enabled: z.boolean().default(false),
            host: z.string().min(1).default('127.0.0.1'),
            port: port.default(6514),
            /** `null`: plain TCP; otherwise TLS (RFC 5425) with these PEM files. */
            tls: z.object({ caFile: z.string().min(1), certFile: z.string().min(1), keyFile: z.string().min(1) }).strict().nullable().default(null),
            /** Largest unsent backlog kept in <dataDir>/audit/atna-spool/; beyond it events wait in the database. */
            maxSpoolBytes: z.number().int().min(1024 * 1024).default(256 * 1024 * 1024),
          })
          .strict()
          .default({}),
      })
      .strict()
      .default({}),
  })
  .strict();

export type KakuteiConfig = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
