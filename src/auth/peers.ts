import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { err, kakuteiError, ok, type Result } from '../errors/index.js';
import { auditActorOf, authorize, hasControlCharacters, type ActingContext, type AuthDependencies } from './context.js';
import type { PeerRecord } from './ports.js';
import { isPeerServiceName, type PeerServiceName, type PeerSubject } from './subjects.js';

export interface PeerView extends PeerRecord {
  /** `config`: from `dicom.peers` (read-only here); `database`: `kakutei peer add`. */
  readonly source: 'config' | 'database';
}

export interface PeerInput {
  readonly aeTitle: string;
  readonly host?: string | null;
  readonly port?: number | null;
  readonly name?: string | null;
  readonly services: readonly string[];
  readonly tlsCertificateSubject?: string | null;
}

export interface PeerServiceOptions {
  /** `dicom.peers` from the configuration. */
  readonly configuredPeers: readonly PeerRecord[];
  /** `dicom.openStorage`: unknown calling AEs may C-ECHO and C-STORE (issue 3 item 3). */
  readonly openStorage: boolean;
  /** How long the database list is cached; `kakutei peer add` from another process shows within it. */
  readonly cacheTtlMs?: number;
  /** Resolves a peer's host name to addresses (default: the system resolver). */
  readonly resolveHost?: (host: string) => Promise<readonly string[]>;
}

/** Services an unregistered caller gets while storage is open: modalities can send on day one. */
export const OPEN_STORAGE_SERVICES: readonly PeerServiceName[] = ['echo', 'store'];

const AE_TITLE = /^[\x20-\x5b\x5d-\x7e]{1,16}$/;
const DEFAULT_CACHE_TTL_MS = 2000;

/**
 * Remote DICOM application entities and what each may do (issue 3 item 3). The DICOM side asks
 * `identify` on every association; registrations from `kakutei peer add` take effect within the
 * cache TTL, without a restart.
 */
export class PeerService {
  private cache: { readonly peers: readonly PeerRecord[]; readonly at: number } | null = null;

  constructor(
    private readonly deps: AuthDependencies,
    private readonly options: PeerServiceOptions,
  ) {}

  async list(): Promise<PeerView[]> {
    const stored = await this.deps.store.transaction((tx) => tx.listPeers());
    const fromDb = new Set(stored.map((p) => p.aeTitle));
    return [
      ...stored.map((p): PeerView => ({ ...p, source: 'database' })),
      ...this.options.configuredPeers.filter((p) => !fromDb.has(p.aeTitle)).map((p): PeerView => ({ ...p, source: 'config' })),
    ];
  }

  /** The registration of an AE title (database first, then configuration); for C-MOVE destinations. */
  async find(aeTitle: string): Promise<PeerRecord | null> {
    const peers = await this.effectivePeers();
    return peers.find((p) => p.aeTitle === aeTitle) ?? null;
  }

  async add(context: ActingContext, input: PeerInput): Promise<Result<PeerView>> {
    const allowed = authorize(context, 'peer:manage');
    if (!allowed.ok) return allowed;
    const peer = validatePeer(input);
    if (!peer.ok) return peer;
    const result = await this.deps.store.transaction(async (tx) => {
      const existing = await tx.listPeers();
      if (existing.some((p) => p.aeTitle === peer.value.aeTitle)) return err(kakuteiError('ALREADY_EXISTS', 'AE title already registered'));
      await tx.insertPeer({ ...peer.value, at: this.deps.clock.now() });
      await tx.audit.append(this.peerEvent(context, 'add', peer.value, allowed.value.maintenanceSessionId));
      return ok<PeerView>({ ...peer.value, source: 'database' });
    });
    this.cache = null;
    return result;
  }

  async remove(context: ActingContext, aeTitle: string): Promise<Result<void>> {
    const allowed = authorize(context, 'peer:manage');
    if (!allowed.ok) return allowed;
    const result = await this.deps.store.transaction(async (tx) => {
      const peer = (await tx.listPeers()).find((p) => p.aeTitle === aeTitle);
      if (peer === undefined) return err(kakuteiError('NOT_FOUND', 'no such peer in the database'));
      await tx.deletePeer(aeTitle);
      await tx.audit.append(this.peerEvent(context, 'remove', peer, allowed.value.maintenanceSessionId));
      return ok(undefined);
    });
    this.cache = null;
    return result;
  }

  /**
   * The policy subject of a calling AE. A registration matches when its AE title is the caller's,
   * its host (if any) resolves to the caller's address and its certificate subject (if any) is the
   * one presented. A caller that matches nothing is unregistered: with open storage it may echo
   * and store, otherwise nothing; `addressMismatch` tells the caller to raise a security event.
   */
  async identify(call: { readonly aeTitle: string; readonly address: string; readonly certificateSubject?: string | null }): Promise<PeerSubject & { readonly addressMismatch: boolean }> {
    const address = normalizeAddress(call.address);
    const certificateSubject = call.certificateSubject ?? null;
    // Leading and trailing spaces of an AE title are not significant (PS3.5 6.2, VR AE).
    const aeTitle = call.aeTitle.trim();
    const peer = await this.find(aeTitle);
    let matched = false;
    if (peer !== null) {
      const hostOk = peer.host === null || (await this.addressesOf(peer.host)).includes(address);
      const certificateOk = peer.tlsCertificateSubject === null || peer.tlsCertificateSubject === certificateSubject;
      matched = hostOk && certificateOk;
    }
    const base = { kind: 'peer' as const, aeTitle, address, certificateSubject };
    if (peer !== null && matched) return { ...base, peerName: peer.name, registered: true, services: peer.services, addressMismatch: false };
    return { ...base, peerName: null, registered: false, services: this.options.openStorage ? OPEN_STORAGE_SERVICES : [], addressMismatch: peer !== null };
  }

  private async effectivePeers(): Promise<readonly PeerRecord[]> {
    const now = Date.now(); // cache age only: wall-clock skew cannot make it wrong for long
    if (this.cache === null || now - this.cache.at > (this.options.cacheTtlMs ?? DEFAULT_CACHE_TTL_MS) || now < this.cache.at) {
      const stored = await this.deps.store.transaction((tx) => tx.listPeers());
      const fromDb = new Set(stored.map((p) => p.aeTitle));
      this.cache = { peers: [...stored, ...this.options.configuredPeers.filter((p) => !fromDb.has(p.aeTitle))], at: now };
    }
    return this.cache.peers;
  }

  private async addressesOf(host: string): Promise<readonly string[]> {
    if (isIP(host) !== 0) return [normalizeAddress(host)];
    try {
      const resolved = this.options.resolveHost === undefined ? (await lookup(host, { all: true })).map((a) => a.address) : await this.options.resolveHost(host);
      return resolved.map(normalizeAddress);
    } catch {
      return [];
    }
  }

  private peerEvent(context: ActingContext, operation: 'add' | 'remove', peer: PeerRecord, maintenanceSessionId: string | null) {
    return {
      action: 'peer-change' as const,
      outcome: 0 as const,
      actor: auditActorOf(context.actor),
      source: context.source,
      objects: [],
      breakGlass: false,
      maintenanceSessionId,
      detail: {
        operation,
        aeTitle: peer.aeTitle,
        host: peer.host,
        port: peer.port,
        name: peer.name,
        services: peer.services.join(','),
        tlsCertificateSubject: peer.tlsCertificateSubject,
      },
    };
  }
}

/** `::ffff:10.0.0.1` (an IPv4 caller on a dual-stack socket) is `10.0.0.1`. */
export function normalizeAddress(address: string): string {
  const lower = address.toLowerCase();
  return lower.startsWith('::ffff:') && isIP(lower.slice(7)) === 4 ? lower.slice(7) : lower;
}

export function validatePeer(input: PeerInput): Result<PeerRecord> {
  const aeTitle = input.aeTitle.trim();
  if (!AE_TITLE.test(aeTitle)) return err(kakuteiError('INVALID_REQUEST', 'AE title: 1–16 printable ASCII characters, no backslash'));
  const unknown = input.services.filter((s) => !isPeerServiceName(s));
  if (unknown.length > 0 || input.services.length === 0) return err(kakuteiError('INVALID_REQUEST', 'services: one or more of echo, store, query, retrieve, commit'));
  const host = input.host ?? null;
  if (host !== null && (host.length > 253 || !/^[A-Za-z0-9.:_-]+$/.test(host))) return err(kakuteiError('INVALID_REQUEST', 'host is not a host name or address'));
  const port = input.port ?? null;
  if (port !== null && (!Number.isInteger(port) || port < 1 || port > 65535)) return err(kakuteiError('INVALID_REQUEST', 'port must be 1–65535'));
  const name = input.name ?? null;
  if (name !== null && (name.length > 64 || hasControlCharacters(name))) return err(kakuteiError('INVALID_REQUEST', 'name is invalid'));
  return ok({
    aeTitle,
    host,
    port,
    name,
    services: [...new Set(input.services.filter(isPeerServiceName))],
    tlsCertificateSubject: input.tlsCertificateSubject ?? null,
  });
}
