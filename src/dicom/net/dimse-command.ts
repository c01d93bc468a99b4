/**
 * DIMSE command sets: group 0000 elements, always Implicit VR Little Endian (PS3.7 §6.3, §9.3,
 * Annex E). Decoding is bounded: element lengths checked against what remains, element count capped.
 */
import { type PduDecodeError, malformed } from './item-reader.js';
import { decodeUid, isValidAeTitle, trimAeTitle } from './values.js';

/** Command Field values (PS3.7 §9.3, §10.3, table E.1-1). */
export const CommandField = {
  CStoreRq: 0x0001,
  CStoreRsp: 0x8001,
  CGetRq: 0x0010,
  CGetRsp: 0x8010,
  CFindRq: 0x0020,
  CFindRsp: 0x8020,
  CMoveRq: 0x0021,
  CMoveRsp: 0x8021,
  CEchoRq: 0x0030,
  CEchoRsp: 0x8030,
  NEventReportRq: 0x0100,
  NEventReportRsp: 0x8100,
  NGetRq: 0x0110,
  NSetRq: 0x0120,
  NActionRq: 0x0130,
  NActionRsp: 0x8130,
  NCreateRq: 0x0140,
  NDeleteRq: 0x0150,
  CCancelRq: 0x0fff,
} as const;

/** Command Data Set Type value meaning "no data set" (PS3.7 table E.1-1); any other value means one follows. */
export const NO_DATASET = 0x0101;
/** Any value other than 0x0101 means a data set follows; this is the one we send. */
export const DATASET_PRESENT = 0x0000;

export const Tag = {
  CommandGroupLength: 0x00000000,
  AffectedSopClassUid: 0x00000002,
  RequestedSopClassUid: 0x00000003,
  CommandField: 0x00000100,
  MessageId: 0x00000110,
  MessageIdBeingRespondedTo: 0x00000120,
  MoveDestination: 0x00000600,
  Priority: 0x00000700,
  CommandDataSetType: 0x00000800,
  Status: 0x00000900,
  OffendingElement: 0x00000901,
  ErrorComment: 0x00000902,
  AffectedSopInstanceUid: 0x00001000,
  RequestedSopInstanceUid: 0x00001001,
  EventTypeId: 0x00001002,
  ActionTypeId: 0x00001008,
  NumberOfRemainingSuboperations: 0x00001020,
  NumberOfCompletedSuboperations: 0x00001021,
  NumberOfFailedSuboperations: 0x00001022,
  NumberOfWarningSuboperations: 0x00001023,
  MoveOriginatorAeTitle: 0x00001030,
  MoveOriginatorMessageId: 0x00001031,
} as const;

/** Elements a command set may hold before we call it hostile (PS3.7 defines fewer than 30). */
const MAX_COMMAND_ELEMENTS = 64;
/** Error Comment is LO: at most 64 characters (PS3.7 table E.1-1, PS3.5 table 6.2-1). */
export const ERROR_COMMENT_MAX_LENGTH = 64;

export interface DimseCommand {
  readonly commandField: number;
  readonly messageId: number | null;
  readonly messageIdBeingRespondedTo: number | null;
  readonly affectedSopClassUid: string | null;
  readonly affectedSopInstanceUid: string | null;
  readonly priority: number | null;
  readonly commandDataSetType: number;
  readonly status: number | null;
  readonly errorComment: string | null;
  /** Trimmed; null when absent or not a valid AE title. */
  readonly moveOriginatorAeTitle: string | null;
  readonly moveOriginatorMessageId: number | null;
  /** Every element as received (tag → value), for services that need more than the above. */
  readonly elements: ReadonlyMap<number, Buffer>;
}

export function hasDataset(command: DimseCommand): boolean {
  return command.commandDataSetType !== NO_DATASET;
}

export function decodeCommand(bytes: Buffer): DimseCommand | PduDecodeError {
  const elements = new Map<number, Buffer>();
  let offset = 0;
  while (offset < bytes.length) {
    if (bytes.length - offset < 8) return malformed('truncated command element header');
    const group = bytes.readUInt16LE(offset);
    const element = bytes.readUInt16LE(offset + 2);
    const length = bytes.readUInt32LE(offset + 4);
    if (group !== 0x0000) return malformed('command set element outside group 0000');
    if (length > bytes.length - offset - 8) return malformed('command element longer than the command set');
    if (elements.size >= MAX_COMMAND_ELEMENTS) return malformed('too many command elements');
    elements.set(element, bytes.subarray(offset + 8, offset + 8 + length));
    offset += 8 + length;
  }
  const us = (tag: number): number | null | PduDecodeError => {
    const v = elements.get(tag);
    if (v === undefined) return null;
    if (v.length !== 2) return malformed(`command element (0000,${tag.toString(16).padStart(4, '0')}) is not 2 bytes`);
    return v.readUInt16LE(0);
  };
  const text = (tag: number): string | null => {
    const v = elements.get(tag);
    return v === undefined ? null : decodeUid(v);
  };
  const fields: Record<string, number | null> = {};
  for (const [name, tag] of [
    ['commandField', Tag.CommandField],
    ['messageId', Tag.MessageId],
    ['messageIdBeingRespondedTo', Tag.MessageIdBeingRespondedTo],
    ['priority', Tag.Priority],
    ['commandDataSetType', Tag.CommandDataSetType],
    ['status', Tag.Status],
    ['moveOriginatorMessageId', Tag.MoveOriginatorMessageId],
  ] as const) {
    const v = us(tag);
    if (typeof v === 'object' && v !== null) return v;
    fields[name] = v;
  }
  const commandField = fields['commandField'] ?? null;
  const commandDataSetType = fields['commandDataSetType'] ?? null;
  if (commandField === null) return malformed('command set without Command Field');
  if (commandDataSetType === null) return malformed('command set without Command Data Set Type');
  const originatorRaw = elements.get(Tag.MoveOriginatorAeTitle);
  const originator = originatorRaw === undefined ? null : trimAeTitle(originatorRaw.toString('latin1'));
  const comment = elements.get(Tag.ErrorComment);
  return {
    commandField,
    commandDataSetType,
    messageId: fields['messageId'] ?? null,
    messageIdBeingRespondedTo: fields['messageIdBeingRespondedTo'] ?? null,
    priority: fields['priority'] ?? null,
    status: fields['status'] ?? null,
    moveOriginatorMessageId: fields['moveOriginatorMessageId'] ?? null,
    affectedSopClassUid: text(Tag.AffectedSopClassUid),
    affectedSopInstanceUid: text(Tag.AffectedSopInstanceUid),
    errorComment: comment === undefined ? null : comment.toString('latin1').replace(/[^\x20-\x7e]/g, '').trim(),
    moveOriginatorAeTitle: originator !== null && isValidAeTitle(originator) ? originator : null,
    elements,
  };
}

/** A US element of a command (e.g. Action Type ID), or null when absent or not 2 bytes. */
export function commandUs(command: DimseCommand, tag: number): number | null {
  const v = command.elements.get(tag & 0xffff);
  return v !== undefined && v.length === 2 ? v.readUInt16LE(0) : null;
}

/** A UI/AE element of a command, padding removed, or null when absent. */
export function commandText(command: DimseCommand, tag: number): string | null {
  const v = command.elements.get(tag & 0xffff);
  return v === undefined ? null : decodeUid(v);
}

/** Sub-operation counts of C-MOVE/C-GET responses (PS3.7 §9.3.3, §9.3.4). */
export interface SubOperationCounts {
  readonly remaining?: number | undefined;
  readonly completed: number;
  readonly failed: number;
  readonly warning: number;
}

/** What we put in a command set; absent fields are left out. */
export interface CommandFields {
  readonly commandField: number;
  readonly affectedSopClassUid?: string | undefined;
  readonly requestedSopClassUid?: string | undefined;
  readonly moveDestination?: string | undefined;
  readonly requestedSopInstanceUid?: string | undefined;
  readonly eventTypeId?: number | undefined;
  readonly actionTypeId?: number | undefined;
  readonly subOperations?: SubOperationCounts | undefined;
  readonly messageId?: number | undefined;
  readonly messageIdBeingRespondedTo?: number | undefined;
  readonly priority?: number | undefined;
  readonly hasDataset: boolean;
  readonly status?: number | undefined;
  readonly errorComment?: string | undefined;
  readonly affectedSopInstanceUid?: string | undefined;
  readonly moveOriginatorAeTitle?: string | undefined;
  readonly moveOriginatorMessageId?: number | undefined;
}

type Encoded = readonly [tag: number, value: Buffer];

const usValue = (n: number): Buffer => {
  const b = Buffer.allocUnsafe(2);
  b.writeUInt16LE(n & 0xffff, 0);
  return b;
};
/** UI values are padded to even length with NUL, text values with a space (PS3.5 §6.2). */
const padded = (s: string, pad: number): Buffer => {
  const raw = Buffer.from(s, 'latin1');
  return raw.length % 2 === 0 ? raw : Buffer.concat([raw, Buffer.from([pad])]);
};

/** Encodes a command set with its group length (0000,0000) computed, elements in ascending tag order. */
export function encodeCommand(f: CommandFields): Buffer {
  const els: Encoded[] = [];
  if (f.affectedSopClassUid !== undefined) els.push([Tag.AffectedSopClassUid, padded(f.affectedSopClassUid, 0)]);
  if (f.requestedSopClassUid !== undefined) els.push([Tag.RequestedSopClassUid, padded(f.requestedSopClassUid, 0)]);
  els.push([Tag.CommandField, usValue(f.commandField)]);
  if (f.messageId !== undefined) els.push([Tag.MessageId, usValue(f.messageId)]);
  if (f.messageIdBeingRespondedTo !== undefined) els.push([Tag.MessageIdBeingRespondedTo, usValue(f.messageIdBeingRespondedTo)]);
  if (f.moveDestination !== undefined) els.push([Tag.MoveDestination, padded(f.moveDestination, 0x20)]);
  if (f.priority !== undefined) els.push([Tag.Priority, usValue(f.priority)]);
  els.push([Tag.CommandDataSetType, usValue(f.hasDataset ? DATASET_PRESENT : NO_DATASET)]);
  if (f.status !== undefined) els.push([Tag.Status, usValue(f.status)]);
  if (f.errorComment !== undefined && f.errorComment !== '') {
    const safe = f.errorComment.replace(/[^\x20-\x5b\x5d-\x7e]/g, '?').slice(0, ERROR_COMMENT_MAX_LENGTH);
    els.push([Tag.ErrorComment, padded(safe, 0x20)]);
  }
  if (f.affectedSopInstanceUid !== undefined) els.push([Tag.AffectedSopInstanceUid, padded(f.affectedSopInstanceUid, 0)]);
  if (f.requestedSopInstanceUid !== undefined) els.push([Tag.RequestedSopInstanceUid, padded(f.requestedSopInstanceUid, 0)]);
  if (f.eventTypeId !== undefined) els.push([Tag.EventTypeId, usValue(f.eventTypeId)]);
  if (f.actionTypeId !== undefined) els.push([Tag.ActionTypeId, usValue(f.actionTypeId)]);
  const counts = f.subOperations;
  if (counts !== undefined) {
    if (counts.remaining !== undefined) els.push([Tag.NumberOfRemainingSuboperations, usValue(counts.remaining)]);
    els.push([Tag.NumberOfCompletedSuboperations, usValue(counts.completed)]);
    els.push([Tag.NumberOfFailedSuboperations, usValue(counts.failed)]);
    els.push([Tag.NumberOfWarningSuboperations, usValue(counts.warning)]);
  }
  if (f.moveOriginatorAeTitle !== undefined) els.push([Tag.MoveOriginatorAeTitle, padded(f.moveOriginatorAeTitle, 0x20)]);
  if (f.moveOriginatorMessageId !== undefined) els.push([Tag.MoveOriginatorMessageId, usValue(f.moveOriginatorMessageId)]);
  const bodyLength = els.reduce((n, [, v]) => n + 8 + v.length, 0);
  const out = Buffer.allocUnsafe(12 + bodyLength);
  writeElementHeader(out, 0, Tag.CommandGroupLength, 4);
  out.writeUInt32LE(bodyLength, 8);
  let at = 12;
  for (const [tag, value] of els) {
    writeElementHeader(out, at, tag, value.length);
    value.copy(out, at + 8);
    at += 8 + value.length;
  }
  return out;
}

function writeElementHeader(out: Buffer, at: number, tag: number, length: number): void {
  out.writeUInt16LE(tag >>> 16, at);
  out.writeUInt16LE(tag & 0xffff, at + 2);
  out.writeUInt32LE(length, at + 4);
}
