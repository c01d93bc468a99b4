/**
 * A-ASSOCIATE-RQ and -AC bodies (PS3.8 §9.3.2, §9.3.3): decode with every length checked against
 * its parent, counts capped; encode into one Buffer. The 6-byte PDU header is handled by the caller.
 */
import { type ItemView, type PduDecodeError, isDecodeError, malformed, overLimit, splitItems } from './item-reader.js';
import {
  type AssociateAc,
  type AssociateRq,
  EMPTY_USER_INFORMATION,
  ItemType,
  MAX_PRESENTATION_CONTEXTS,
  type PresentationContextProposal,
  type PresentationContextResult,
  PduType,
  type UserInformation,
} from './pdu-types.js';
import { decodeUserInformation, encodeUserInformation, item } from './user-information.js';
import { UID_MAX_LENGTH, decodeUid, encodeAeField, trimAeTitle } from './values.js';

/** Fixed part of an A-ASSOCIATE-RQ/AC body before the items (PS3.8 table 9-11). */
export const ASSOCIATE_FIXED_BYTES = 68;
/** Caps on what a peer may send: top-level items, transfer syntaxes per context. */
const MAX_TOP_LEVEL_ITEMS = MAX_PRESENTATION_CONTEXTS + 8;
export const MAX_TRANSFER_SYNTAXES_PER_CONTEXT = 64;

interface CommonFields {
  protocolVersion: number;
  calledAeTitle: string;
  callingAeTitle: string;
  applicationContextName: string;
  userInformation: UserInformation;
}

function decodeCommon(body: Buffer, contextItemType: number): { fields: CommonFields; contexts: ItemView[] } | PduDecodeError {
  if (body.length < ASSOCIATE_FIXED_BYTES) return malformed('A-ASSOCIATE body shorter than its fixed part');
  const protocolVersion = body.readUInt16BE(0);
  const calledAeTitle = trimAeTitle(body.subarray(4, 20).toString('latin1'));
  const callingAeTitle = trimAeTitle(body.subarray(20, 36).toString('latin1'));
  // Generous first cap (bounds the work); the precise caps follow.
  const items = splitItems(body.subarray(ASSOCIATE_FIXED_BYTES), MAX_PRESENTATION_CONTEXTS * 4, 'A-ASSOCIATE');
  if (isDecodeError(items)) return items;
  const contexts = items.filter((i) => i.type === contextItemType);
  if (contexts.length > MAX_PRESENTATION_CONTEXTS) return overLimit(`more than ${MAX_PRESENTATION_CONTEXTS} presentation contexts`);
  if (items.length > MAX_TOP_LEVEL_ITEMS) return overLimit('too many items');
  let applicationContextName: string | null = null;
  let userInformation: UserInformation | null = null;
  for (const it of items) {
    if (it.type === ItemType.ApplicationContext) {
      if (applicationContextName !== null) return malformed('more than one application context item');
      if (it.value.length > UID_MAX_LENGTH) return malformed('application context name too long');
      applicationContextName = decodeUid(it.value);
    } else if (it.type === ItemType.UserInformation) {
      if (userInformation !== null) return malformed('more than one user information item');
      const decoded = decodeUserInformation(it.value);
      if (isDecodeError(decoded)) return decoded;
      userInformation = decoded;
    }
  }
  if (applicationContextName === null) return malformed('no application context item');
  return {
    fields: { protocolVersion, calledAeTitle, callingAeTitle, applicationContextName, userInformation: userInformation ?? EMPTY_USER_INFORMATION },
    contexts,
  };
}

/** Decodes an A-ASSOCIATE-RQ body (PS3.8 §9.3.2). */
export function decodeAssociateRq(body: Buffer): AssociateRq | PduDecodeError {
  const common = decodeCommon(body, ItemType.PresentationContextRq);
  if (isDecodeError(common)) return common;
  const presentationContexts: PresentationContextProposal[] = [];
  for (const ctx of common.contexts) {
    const decoded = decodeContextRq(ctx.value);
    if (isDecodeError(decoded)) return decoded;
    presentationContexts.push(decoded);
  }
  return { ...common.fields, presentationContexts };
}

function decodeContextRq(value: Buffer): PresentationContextProposal | PduDecodeError {
  if (value.length < 4) return malformed('presentation context item too short');
  const id = value.readUInt8(0);
  const subItems = splitItems(value.subarray(4), MAX_TRANSFER_SYNTAXES_PER_CONTEXT + 1, 'presentation context');
  if (isDecodeError(subItems)) return subItems;
  let abstractSyntaxUid: string | null = null;
  const transferSyntaxUids: string[] = [];
  for (const sub of subItems) {
    if (sub.value.length > UID_MAX_LENGTH) return malformed('syntax UID too long');
    if (sub.type === ItemType.AbstractSyntax) {
      if (abstractSyntaxUid !== null) return malformed('more than one abstract syntax in a presentation context');
      abstractSyntaxUid = decodeUid(sub.value);
    } else if (sub.type === ItemType.TransferSyntax) {
      transferSyntaxUids.push(decodeUid(sub.value));
    } else {
      return malformed('unexpected sub-item in a presentation context');
    }
  }
  if (abstractSyntaxUid === null) return malformed('presentation context without abstract syntax');
  if (transferSyntaxUids.length === 0) return malformed('presentation context without transfer syntax');
  return { id, abstractSyntaxUid, transferSyntaxUids };
}

/** Decodes an A-ASSOCIATE-AC body (PS3.8 §9.3.3). */
export function decodeAssociateAc(body: Buffer): AssociateAc | PduDecodeError {
  const common = decodeCommon(body, ItemType.PresentationContextAc);
  if (isDecodeError(common)) return common;
  const presentationContexts: PresentationContextResult[] = [];
  for (const ctx of common.contexts) {
    if (ctx.value.length < 4) return malformed('presentation context item too short');
    const subItems = splitItems(ctx.value.subarray(4), 2, 'presentation context');
    if (isDecodeError(subItems)) return subItems;
    const ts = subItems.find((s) => s.type === ItemType.TransferSyntax);
    if (ts !== undefined && ts.value.length > UID_MAX_LENGTH) return malformed('transfer syntax UID too long');
    presentationContexts.push({ id: ctx.value.readUInt8(0), result: ctx.value.readUInt8(2), transferSyntaxUid: ts === undefined ? '' : decodeUid(ts.value) });
  }
  return { ...common.fields, presentationContexts };
}

function encodeHeaderAndFixed(type: number, fields: CommonFields, items: Buffer[]): Buffer {
  const fixed = Buffer.alloc(ASSOCIATE_FIXED_BYTES);
  fixed.writeUInt16BE(fields.protocolVersion, 0);
  encodeAeField(fields.calledAeTitle).copy(fixed, 4);
  encodeAeField(fields.callingAeTitle).copy(fixed, 20);
  const bodyLength = ASSOCIATE_FIXED_BYTES + items.reduce((n, b) => n + b.length, 0);
  const header = Buffer.alloc(6);
  header[0] = type;
  header.writeUInt32BE(bodyLength, 2);
  return Buffer.concat([header, fixed, ...items], 6 + bodyLength);
}

/** Encodes a whole A-ASSOCIATE-RQ PDU (header included) into one Buffer. */
export function encodeAssociateRq(rq: AssociateRq): Buffer {
  const items = [item(ItemType.ApplicationContext, Buffer.from(rq.applicationContextName, 'latin1'))];
  for (const ctx of rq.presentationContexts) {
    const subs = [item(ItemType.AbstractSyntax, Buffer.from(ctx.abstractSyntaxUid, 'latin1'))];
    for (const ts of ctx.transferSyntaxUids) subs.push(item(ItemType.TransferSyntax, Buffer.from(ts, 'latin1')));
    items.push(item(ItemType.PresentationContextRq, Buffer.concat([Buffer.from([ctx.id, 0, 0, 0]), ...subs])));
  }
  items.push(encodeUserInformation(rq.userInformation));
  return encodeHeaderAndFixed(PduType.AssociateRq, rq, items);
}

/** Encodes a whole A-ASSOCIATE-AC PDU (header included) into one Buffer. */
export function encodeAssociateAc(ac: AssociateAc): Buffer {
  const items = [item(ItemType.ApplicationContext, Buffer.from(ac.applicationContextName, 'latin1'))];
  for (const ctx of ac.presentationContexts) {
    const ts = item(ItemType.TransferSyntax, Buffer.from(ctx.transferSyntaxUid, 'latin1'));
    items.push(item(ItemType.PresentationContextAc, Buffer.concat([Buffer.from([ctx.id, 0, ctx.result, 0]), ts])));
  }
  items.push(encodeUserInformation(ac.userInformation));
  return encodeHeaderAndFixed(PduType.AssociateAc, ac, items);
}
