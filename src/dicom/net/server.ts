/**
 * The DIMSE server: a TCP listener that gives each connection its own {@link ScpAssociation} and
 * keeps the limits on concurrent associations, in total and per peer address.
 */
import { randomUUID } from 'node:crypto';
import { type Server, type Socket, createServer } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { type Admission, ScpAssociation, type ScpConfig, normalizeAddress } from './association-scp.js';
import { type NetLogger, SILENT_LOGGER } from './handlers.js';
import type { DimseApplicationHandlers } from './query-handlers.js';
import type { AbstractSyntaxSupport, SupportedTransferSyntax } from './negotiation.js';
import { isValidAeTitle } from './values.js';

export interface DimseServerOptions {
  readonly aeTitle: string;
  /** Default 'exact'. */
  readonly calledAeTitleCheck?: 'exact' | 'any';
  readonly implementationClassUid: string;
  readonly implementationVersionName: string;
  /** Maximum Length we advertise and accept for a PDU's variable field. Default 256 KiB. */
  readonly maxPduBytes?: number;
  /** Largest P-DATA-TF we send when the peer accepts more or says "no limit". Default 256 KiB. */
  readonly maxSendPduBytes?: number;
  /** ARTIM: time allowed between connect and A-ASSOCIATE-RQ (PS3.8 §9.1.5). Default 30 s. */
  readonly artimMs?: number;
  /** An established association with no PDU for this long is aborted. Default 300 s. */
  readonly idleMs?: number;
  /** Concurrent associations, total. Default 64. */
  readonly maxAssociations?: number;
  /** Concurrent associations from one IP address. Default 32. */
  readonly maxAssociationsPerPeer?: number;
  /** Sockets not yet associated (awaiting A-ASSOCIATE-RQ); beyond, new ones are closed at once. Default 2 × maxAssociations. */
  readonly maxPendingConnections?: number;
  readonly abstractSyntaxes: AbstractSyntaxSupport;
  readonly transferSyntaxes: readonly SupportedTransferSyntax[];
  readonly handlers: DimseApplicationHandlers;
  readonly logger?: NetLogger;
  /**
   * DICOM over TLS (PS3.15 B.9 Basic TLS / B.13 BCP 195 profiles): TLS 1.2 or later; with
   * `requireClientCertificate`, a peer without a certificate signed by `ca` is refused during the
   * handshake, and the certificate's subject reaches `acceptAssociation` to be mapped to an AE.
   */
  readonly tls?: DimseTlsOptions;
}

export interface DimseTlsOptions {
  readonly key: string | Buffer;
  readonly cert: string | Buffer;
  /** Trusted issuers of client certificates. */
  readonly ca?: string | Buffer;
  readonly requireClientCertificate: boolean;
}

export interface DimseServer {
  listen(port: number, host?: string): Promise<{ port: number }>;
  /** Stops accepting; aborts idle associations and the others once their operation is answered; destroys what remains after `graceMs` (default 10 s). */
  close(graceMs?: number): Promise<void>;
  /** Open connections (associated or not). */
  connections(): number;
  /** Established or deciding associations counted against the limits. */
  associations(): number;
}

export const DEFAULT_MAX_PDU_BYTES = 256 * 1024;

export function createDimseServer(options: DimseServerOptions): DimseServer {
  if (!isValidAeTitle(options.aeTitle)) throw new RangeError('aeTitle is not a valid AE title');
  const maxAssociations = options.maxAssociations ?? 64;
  const maxPerPeer = options.maxAssociationsPerPeer ?? 32;
  const maxPending = options.maxPendingConnections ?? maxAssociations * 2;
  const logger = options.logger ?? SILENT_LOGGER;
  const config: ScpConfig = {
    aeTitle: options.aeTitle,
    calledAeTitleCheck: options.calledAeTitleCheck ?? 'exact',
    implementationClassUid: options.implementationClassUid,
    implementationVersionName: options.implementationVersionName,
    maxPduBytes: options.maxPduBytes ?? DEFAULT_MAX_PDU_BYTES,
    maxSendPduBytes: options.maxSendPduBytes ?? DEFAULT_MAX_PDU_BYTES,
    artimMs: options.artimMs ?? 30_000,
    idleMs: options.idleMs ?? 300_000,
    policy: { abstractSyntaxes: options.abstractSyntaxes, transferSyntaxes: options.transferSyntaxes },
    handlers: options.handlers,
    logger,
  };

  const open = new Set<ScpAssociation>();
  let admitted = 0;
  const admittedPerPeer = new Map<string, number>();
  let closing = false;
  let allClosed: (() => void) | null = null;

  const admission: Admission = {
    tryAdmit(peerAddress) {
      const forPeer = admittedPerPeer.get(peerAddress) ?? 0;
      if (admitted >= maxAssociations || forPeer >= maxPerPeer) return null;
      admitted++;
      admittedPerPeer.set(peerAddress, forPeer + 1);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        admitted--;
        const left = (admittedPerPeer.get(peerAddress) ?? 1) - 1;
        if (left <= 0) admittedPerPeer.delete(peerAddress);
        else admittedPerPeer.set(peerAddress, left);
      };
    },
  };

  const onConnection = (socket: Socket): void => {
    if (closing || open.size - admitted >= maxPending) {
      const id = randomUUID();
      const peerAddress = normalizeAddress(socket.remoteAddress);
      socket.destroy();
      const event = {
        kind: 'connection-limit' as const,
        detail: closing ? 'server closing' : 'too many connections awaiting association',
        associationId: id,
        peerAddress,
        peerPort: 0,
        callingAeTitle: null,
        calledAeTitle: null,
      };
      logger.warn({ ...event, event: 'dicom-security' }, 'DICOM connection refused');
      try {
        options.handlers.securityEvent(event);
      } catch {
        // The sink must not throw; if it does, the refusal stands all the same.
      }
      return;
    }
    const association: ScpAssociation = new ScpAssociation(socket, randomUUID(), config, admission, () => {
      open.delete(association);
      if (open.size === 0) allClosed?.();
    });
    open.add(association);
  };
  const tls = options.tls;
  const server: Server =
    tls === undefined
      ? createServer({ noDelay: true }, onConnection)
      : createTlsServer(
          {
            key: tls.key,
            cert: tls.cert,
            ...(tls.ca === undefined ? {} : { ca: tls.ca }),
            minVersion: 'TLSv1.2',
            requestCert: tls.requireClientCertificate,
            rejectUnauthorized: tls.requireClientCertificate,
            // A handshake is a pending connection too: bounded by the ARTIM timer's length.
            handshakeTimeout: options.artimMs ?? 30_000,
          },
          (socket: TLSSocket) => {
            socket.setNoDelay(true);
            onConnection(socket);
          },
        );
  server.on('tlsClientError', (_error: Error, socket: TLSSocket) => {
    const peerAddress = normalizeAddress(socket.remoteAddress);
    const event = { kind: 'tls-handshake-failed' as const, detail: 'TLS handshake failed', associationId: randomUUID(), peerAddress, peerPort: socket.remotePort ?? 0, callingAeTitle: null, calledAeTitle: null };
    logger.warn({ ...event, event: 'dicom-security' }, 'DICOM TLS handshake refused');
    try {
      options.handlers.securityEvent(event);
    } catch {
      // as above
    }
  });
  server.on('error', (error) => logger.error({ err: { name: error.name } }, 'DICOM listener error'));

  return {
    listen(port, host) {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          const address = server.address();
          resolve({ port: typeof address === 'object' && address !== null ? address.port : port });
        });
      });
    },
    async close(graceMs = 10_000) {
      closing = true;
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      if (open.size > 0) {
        const drained = new Promise<void>((resolve) => {
          allClosed = resolve;
        });
        for (const association of open) association.shutdown();
        const deadline = setTimeout(() => {
          for (const association of open) association.destroy();
        }, graceMs);
        await drained;
        clearTimeout(deadline);
      }
      await stopped;
    },
    connections: () => open.size,
    associations: () => admitted,
  };
}
