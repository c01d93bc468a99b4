/**
 * Presentation context negotiation for the acceptor (PS3.8 §9.3.3.2, PS3.7 Annex D.3.3.4).
 */
import { type PresentationContextProposal, type PresentationContextResult, PresentationContextResultCode, type RoleSelection } from './pdu-types.js';

const GET_SOP_CLASSES = ['1.2.840.10008.5.1.4.1.2.1.3', '1.2.840.10008.5.1.4.1.2.2.3'];
/** Verification, Storage Commitment and the Query/Retrieve classes: the requestor is never their SCP here. */
const NEVER_REQUESTOR_SCP: ReadonlySet<string> = new Set([
  '1.2.840.10008.1.1',
  '1.2.840.10008.1.20.1',
  '1.2.840.10008.5.1.4.1.2.1.1',
  '1.2.840.10008.5.1.4.1.2.1.2',
  '1.2.840.10008.5.1.4.1.2.1.3',
  '1.2.840.10008.5.1.4.1.2.2.1',
  '1.2.840.10008.5.1.4.1.2.2.2',
  '1.2.840.10008.5.1.4.1.2.2.3',
]);

/** A transfer syntax we can receive, classified so that lossless ones are preferred. */
export interface SupportedTransferSyntax {
  readonly uid: string;
  readonly lossy: boolean;
}

/** The abstract syntaxes (SOP classes) we accept: a set, or a predicate for large/generated tables. */
export type AbstractSyntaxSupport = ReadonlySet<string> | ((abstractSyntaxUid: string) => boolean);

export interface NegotiationPolicy {
  readonly abstractSyntaxes: AbstractSyntaxSupport;
  readonly transferSyntaxes: readonly SupportedTransferSyntax[];
}

export interface AcceptedContext {
  readonly id: number;
  readonly abstractSyntaxUid: string;
  readonly transferSyntaxUid: string;
}

export interface NegotiationOutcome {
  /** One result per proposed context, in the order proposed (PS3.8 §9.3.3.2). */
  readonly results: readonly PresentationContextResult[];
  /** Accepted contexts by ID. */
  readonly accepted: ReadonlyMap<number, AcceptedContext>;
  /** Role selection replies for proposed roles on accepted abstract syntaxes. */
  readonly roleReplies: readonly RoleSelection[];
}

export function isAbstractSyntaxSupported(support: AbstractSyntaxSupport, uid: string): boolean {
  return typeof support === 'function' ? support(uid) : support.has(uid);
}

/**
 * Picks the transfer syntax for one context: the FIRST proposed one that is supported and lossless;
 * only when none is, the first supported lossy one; `null` when nothing proposed is supported.
 * The requestor's order expresses its preference (PS3.8 §9.3.2.2), but never at the cost of
 * receiving a lossy copy when a lossless one was offered.
 */
export function chooseTransferSyntax(proposed: readonly string[], supported: ReadonlyMap<string, SupportedTransferSyntax>): string | null {
  let firstLossy: string | null = null;
  for (const uid of proposed) {
    const ts = supported.get(uid);
    if (ts === undefined) continue;
    if (!ts.lossy) return uid;
    firstLossy ??= uid;
  }
  return firstLossy;
}

export function negotiatePresentationContexts(
  proposals: readonly PresentationContextProposal[],
  proposedRoles: readonly RoleSelection[],
  policy: NegotiationPolicy,
): NegotiationOutcome {
  const supported = new Map(policy.transferSyntaxes.map((ts) => [ts.uid, ts] as const));
  const results: PresentationContextResult[] = [];
  const accepted = new Map<number, AcceptedContext>();
  for (const ctx of proposals) {
    if (!isAbstractSyntaxSupported(policy.abstractSyntaxes, ctx.abstractSyntaxUid)) {
      results.push({ id: ctx.id, result: PresentationContextResultCode.AbstractSyntaxNotSupported, transferSyntaxUid: '' });
      continue;
    }
    const chosen = chooseTransferSyntax(ctx.transferSyntaxUids, supported);
    if (chosen === null) {
      results.push({ id: ctx.id, result: PresentationContextResultCode.TransferSyntaxesNotSupported, transferSyntaxUid: '' });
      continue;
    }
    results.push({ id: ctx.id, result: PresentationContextResultCode.Acceptance, transferSyntaxUid: chosen });
    accepted.set(ctx.id, { id: ctx.id, abstractSyntaxUid: ctx.abstractSyntaxUid, transferSyntaxUid: chosen });
  }
  // PS3.7 D.3.3.4: answer each proposed role. We accept the requestor acting as SCU (it sends to us).
  // We accept it acting as SCP only for the storage SOP classes of a C-GET association (PS3.4
  // C.4.3.1: the C-STORE sub-operations go back on the same association), never for the query,
  // retrieve, verification or commitment classes themselves.
  const acceptedSyntaxes = new Set([...accepted.values()].map((c) => c.abstractSyntaxUid));
  const getAccepted = GET_SOP_CLASSES.some((uid) => acceptedSyntaxes.has(uid));
  const seen = new Set<string>();
  const roleReplies: RoleSelection[] = [];
  for (const role of proposedRoles) {
    if (!acceptedSyntaxes.has(role.sopClassUid) || seen.has(role.sopClassUid)) continue;
    seen.add(role.sopClassUid);
    const scpRole = role.scpRole && getAccepted && !NEVER_REQUESTOR_SCP.has(role.sopClassUid);
    roleReplies.push({ sopClassUid: role.sopClassUid, scuRole: role.scuRole, scpRole });
  }
  return { results, accepted, roleReplies };
}

/**
 * Checks presentation context IDs: odd, 1–255, unique (PS3.8 §9.3.2.2). Returns a problem or null.
 */
export function checkContextIds(proposals: readonly PresentationContextProposal[]): string | null {
  const seen = new Set<number>();
  for (const ctx of proposals) {
    if (ctx.id % 2 === 0) return 'even presentation context ID';
    if (seen.has(ctx.id)) return 'duplicate presentation context ID';
    seen.add(ctx.id);
  }
  return null;
}
