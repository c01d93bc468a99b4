/**
 * Helpers for this folder's tests only: a recording handler set, a raw socket client that speaks
 * bytes, and a tiny Part 10 builder. Not exported from index.ts.
 */
import { once } from 'node:events';
import { type Socket, connect } from 'node:net';
import { encodeAssociateRq } from './associate-codec.js';
import { VERIFICATION_SOP_CLASS } from './dimse-messages.js';
import type { AssociationEvent, CStoreRequestInfo, DimseResponseStatus, DimseServiceHandlers, IncomingDataset, NetworkSecurityEvent } from './handlers.js';
import { createDimseServer, type DimseServer, type DimseServerOptions } from './server.js';
import { type AssociateRq, DICOM_APPLICATION_CONTEXT, EMPTY_USER_INFORMATION, type PresentationContextProposal } from './pdu-types.js';
import type { SupportedTransferSyntax } from './negotiation.js';

export const IMPLICIT_LE = '1.2.840.10008.1.2';
export const EXPLICIT_LE = '1.2.840.10008.1.2.1';
export const JPEG_BASELINE = '1.2.840.10008.1.2.4.50';
export const JPEG_LOSSLESS_SV1 = '1.2.840.10008.1.2.4.70';
export const HTJ2K_LOSSLESS = '1.2.840.10008.1.2.4.201';
export const CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2';
export const SECONDARY_CAPTURE = '1.2.840.10008.5.1.4.1.1.7';

export const TEST_TRANSFER_SYNTAXES: readonly SupportedTransferSyntax[] = [
  { uid: IMPLICIT_LE, lossy: false },
  { uid: EXPLICIT_LE, lossy: false },
  { uid: JPEG_LOSSLESS_SV1, lossy: false },
  { uid: HTJ2K_LOSSLESS, lossy: false },
  { uid: JPEG_BASELINE, lossy: true },
];

export interface StoredObject {
  readonly request: CStoreRequestInfo;
  readonly bytes: Buffer;
}

/** Handlers that keep everything they see, for assertions. */
export class RecordingHandlers implements DimseServiceHandlers {
  readonly security: NetworkSecurityEvent[] = [];
  readonly events: AssociationEvent[] = [];
  readonly stored: StoredObject[] = [];
  readonly aborted: { request: CStoreRequestInfo; reason: string; bytesSoFar: number }[] = [];
  /** Replace to change behaviour per test. */
  decide: DimseServiceHandlers['acceptAssociation'] = () => ({ accept: true });
  /** Called before each fragment is accepted; may delay or throw. */
  onWrite: (fragment: Uint8Array, request: CStoreRequestInfo) => Promise<void> = () => Promise.resolve();
  storeStatus: DimseResponseStatus = { status: 0 };
  refuseWith: DimseResponseStatus | null = null;
  private abortWaiters: (() => void)[] = [];

  acceptAssociation: DimseServiceHandlers['acceptAssociation'] = (request) => this.decide(request);
  echo(): DimseResponseStatus {
    return { status: 0 };
  }
  securityEvent(event: NetworkSecurityEvent): void {
    this.security.push(event);
  }
  associationEvent(event: AssociationEvent): void {
    this.events.push(event);
  }
  beginStore(_association: unknown, request: CStoreRequestInfo): IncomingDataset | DimseResponseStatus {
    if (this.refuseWith !== null) return this.refuseWith;
    const parts: Buffer[] = [];
    return {
      write: async (fragment) => {
        await this.onWrite(fragment, request);
        parts.push(Buffer.from(fragment));
      },
      end: () => {
        this.stored.push({ request, bytes: Buffer.concat(parts) });
        return Promise.resolve(this.storeStatus);
      },
      abort: (reason) => {
        this.aborted.push({ request, reason, bytesSoFar: parts.reduce((n, p) => n + p.length, 0) });
        for (const w of this.abortWaiters.splice(0)) w();
        return Promise.resolve();
      },
    };
  }
  /** Resolves at the next abort() call (or at once if one happened already). */
  nextAbort(): Promise<void> {
    if (this.aborted.length > 0) return Promise.resolve();
    return new Promise((resolve) => this.abortWaiters.push(resolve));
  }
}

export async function startServer(handlers: DimseServiceHandlers, overrides: Partial<DimseServerOptions> = {}): Promise<{ server: DimseServer; port: number }> {
  const server = createDimseServer({
    aeTitle: 'KAKUTEI',
    implementationClassUid: '1.2.826.0.1.3680043.10.1467.1',
    implementationVersionName: 'KAKUTEI_TEST',
    abstractSyntaxes: new Set([VERIFICATION_SOP_CLASS, CT_IMAGE_STORAGE, SECONDARY_CAPTURE]),
    transferSyntaxes: TEST_TRANSFER_SYNTAXES,
    handlers,
    ...overrides,
  });
  const { port } = await server.listen(0, '127.0.0.1');
  return { server, port };
}

/** A raw client: writes bytes, collects what comes back, knows when the server closed. */
export class RawClient {
  readonly received: Buffer[] = [];
  closed = false;
  private waiters: (() => void)[] = [];

  private constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.received.push(d);
      this.wake();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
  }

  static async open(port: number): Promise<RawClient> {
    const socket = connect({ host: '127.0.0.1', port });
    await once(socket, 'connect');
    return new RawClient(socket);
  }

  get bytes(): Buffer {
    return Buffer.concat(this.received);
  }

  write(bytes: Uint8Array): void {
    if (!this.socket.destroyed) this.socket.write(bytes);
  }

  /** Waits until the server closed the connection. */
  async untilClosed(): Promise<void> {
    while (!this.closed) await new Promise<void>((r) => this.waiters.push(r));
  }

  /** Waits until at least `n` bytes arrived (or the connection closed). */
  async untilBytes(n: number): Promise<Buffer> {
    while (this.bytes.length < n && !this.closed) await new Promise<void>((r) => this.waiters.push(r));
    return this.bytes;
  }

  destroy(): void {
    this.socket.destroy();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}

export function associateRq(overrides: Partial<AssociateRq> = {}, contexts?: PresentationContextProposal[]): Buffer {
  return encodeAssociateRq({
    protocolVersion: 1,
    calledAeTitle: 'KAKUTEI',
    callingAeTitle: 'TESTSCU',
    applicationContextName: DICOM_APPLICATION_CONTEXT,
    presentationContexts: contexts ?? [
      { id: 1, abstractSyntaxUid: VERIFICATION_SOP_CLASS, transferSyntaxUids: [IMPLICIT_LE] },
      { id: 3, abstractSyntaxUid: CT_IMAGE_STORAGE, transferSyntaxUids: [EXPLICIT_LE] },
    ],
    userInformation: { ...EMPTY_USER_INFORMATION, maxPduLength: 16384, implementationClassUid: '1.2.3.4' },
    ...overrides,
  });
}

/** Builds a small explicit VR little endian Part 10 file; returns it and its dataset part. */
/** `hierarchy` adds Study/Series Instance UIDs (archives such as Orthanc require them). */
export function buildPart10(sopClassUid: string, sopInstanceUid: string, pixelBytes = 64, hierarchy?: { study: string; series: string }): { file: Buffer; dataset: Buffer } {
  const el = (group: number, element: number, vr: string, value: Buffer): Buffer => {
    const padded = value.length % 2 === 0 ? value : Buffer.concat([value, Buffer.from([vr === 'UI' ? 0 : 0x20])]);
    const long = vr === 'OB' || vr === 'OW' || vr === 'UN' || vr === 'SQ' || vr === 'UT';
    const head = Buffer.alloc(long ? 12 : 8);
    head.writeUInt16LE(group, 0);
    head.writeUInt16LE(element, 2);
    head.write(vr, 4, 'latin1');
    if (long) head.writeUInt32LE(padded.length, 8);
    else head.writeUInt16LE(padded.length, 6);
    return Buffer.concat([head, padded]);
  };
  const s = (v: string): Buffer => Buffer.from(v, 'latin1');
  const us = (n: number): Buffer => {
    const b = Buffer.alloc(2);
    b.writeUInt16LE(n, 0);
    return b;
  };
  const metaBody = Buffer.concat([
    el(2, 1, 'OB', Buffer.from([0, 1])),
    el(2, 2, 'UI', s(sopClassUid)),
    el(2, 3, 'UI', s(sopInstanceUid)),
    el(2, 0x10, 'UI', s(EXPLICIT_LE)),
    el(2, 0x12, 'UI', s('1.2.3.4')),
  ]);
  const groupLength = Buffer.alloc(4);
  groupLength.writeUInt32LE(metaBody.length, 0);
  const meta = Buffer.concat([el(2, 0, 'UL', groupLength), metaBody]);
  const side = Math.max(1, Math.floor(Math.sqrt(pixelBytes / 2)));
  const pixels = Buffer.alloc(side * side * 2);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 7) & 0xff;
  const dataset = Buffer.concat([
    el(8, 0x16, 'UI', s(sopClassUid)),
    el(8, 0x18, 'UI', s(sopInstanceUid)),
    el(8, 0x60, 'CS', s('CT')),
    el(0x10, 0x20, 'LO', s('TEST-ID')),
    ...(hierarchy === undefined ? [] : [el(0x20, 0x0d, 'UI', s(hierarchy.study)), el(0x20, 0x0e, 'UI', s(hierarchy.series))]),
    el(0x28, 0x02, 'US', us(1)),
    el(0x28, 0x10, 'US', us(side)),
    el(0x28, 0x11, 'US', us(side)),
    el(0x28, 0x100, 'US', us(16)),
    el(0x28, 0x101, 'US', us(16)),
    el(0x28, 0x102, 'US', us(15)),
    el(0x28, 0x103, 'US', us(0)),
    el(0x7fe0, 0x10, 'OW', pixels),
  ]);
  const file = Buffer.concat([Buffer.alloc(128), s('DICM'), meta, dataset]);
  return { file, dataset };
}

/** The dataset part of a Part 10 file written by someone else (after the file meta group). */
export function datasetOfPart10(file: Buffer): Buffer {
  // Group length (0002,0000) UL is the first element after "DICM" (PS3.10 §7.1).
  const groupLength = file.readUInt32LE(132 + 8);
  return file.subarray(132 + 12 + groupLength);
}

export const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
