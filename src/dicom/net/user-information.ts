/**
 * The User Information item (PS3.8 §9.3.2.3, PS3.7 Annex D.3.3): decoded leniently (unknown
 * sub-items skipped) but bounded (sub-item count capped, every length checked).
 */
import { type PduDecodeError, isDecodeError, malformed, overLimit, readLengthPrefixed, splitItems } from './item-reader.js';
import { type ExtendedNegotiation, ItemType, type RoleSelection, type UserIdentityRequest, type UserInformation } from './pdu-types.js';
import { UID_MAX_LENGTH, decodeUid } from './values.js';

/** Role selections are one per SOP class, so at most one per presentation context; leave room for the rest. */
export const MAX_USER_INFORMATION_SUB_ITEMS = 400;
/** Implementation Version Name is 1–16 characters (PS3.7 D.3.3.2.3). */
const MAX_VERSION_NAME_BYTES = 16;

export function decodeUserInformation(value: Buffer): UserInformation | PduDecodeError {
  const subItems = splitItems(value, MAX_USER_INFORMATION_SUB_ITEMS, 'user information');
  if (isDecodeError(subItems)) return subItems;
  let maxPduLength: number | null = null;
  let implementationClassUid: string | null = null;
  let implementationVersionName: string | null = null;
  let asyncOperationsWindow: UserInformation['asyncOperationsWindow'] = null;
  const roleSelections: RoleSelection[] = [];
  const extendedNegotiations: ExtendedNegotiation[] = [];
  let userIdentity: UserIdentityRequest | null = null;
  let userIdentityServerResponse: Uint8Array | null = null;
  for (const item of subItems) {
    const v = item.value;
    switch (item.type) {
      case ItemType.MaximumLength:
        if (v.length !== 4) return malformed('maximum length sub-item must be 4 bytes');
        maxPduLength = v.readUInt32BE(0);
        break;
      case ItemType.ImplementationClassUid:
        if (v.length > UID_MAX_LENGTH) return malformed('implementation class UID too long');
        implementationClassUid = decodeUid(v);
        break;
      case ItemType.ImplementationVersionName:
        // Lenient: over-long names are cut rather than refused; only printable ASCII is kept.
        implementationVersionName = printable(v.subarray(0, MAX_VERSION_NAME_BYTES));
        break;
      case ItemType.AsynchronousOperationsWindow:
        if (v.length !== 4) return malformed('asynchronous operations window sub-item must be 4 bytes');
        asyncOperationsWindow = { maxOperationsInvoked: v.readUInt16BE(0), maxOperationsPerformed: v.readUInt16BE(2) };
        break;
      case ItemType.RoleSelection: {
        const uid = readLengthPrefixed(v, 0, 'role selection');
        if (isDecodeError(uid)) return uid;
        if (uid.field.length > UID_MAX_LENGTH) return malformed('role selection UID too long');
        if (v.length - uid.next !== 2) return malformed('role selection sub-item has a wrong length');
        roleSelections.push({ sopClassUid: decodeUid(uid.field), scuRole: v[uid.next] === 1, scpRole: v[uid.next + 1] === 1 });
        break;
      }
      case ItemType.ExtendedNegotiation: {
        const uid = readLengthPrefixed(v, 0, 'extended negotiation');
        if (isDecodeError(uid)) return uid;
        if (uid.field.length > UID_MAX_LENGTH) return malformed('extended negotiation UID too long');
        extendedNegotiations.push({ sopClassUid: decodeUid(uid.field), applicationInformation: Uint8Array.from(v.subarray(uid.next)) });
        break;
      }
      case ItemType.UserIdentityRq: {
        if (v.length < 2) return malformed('user identity sub-item too short');
        const primary = readLengthPrefixed(v, 2, 'user identity primary field');
        if (isDecodeError(primary)) return primary;
        // The secondary field length is present even when empty; tolerate its absence (seen in the wild).
        let secondaryField: Uint8Array = new Uint8Array(0);
        if (primary.next < v.length) {
          const secondary = readLengthPrefixed(v, primary.next, 'user identity secondary field');
          if (isDecodeError(secondary)) return secondary;
          secondaryField = Uint8Array.from(secondary.field);
        }
        userIdentity = {
          type: v.readUInt8(0),
          positiveResponseRequested: v[1] === 1,
          primaryField: Uint8Array.from(primary.field),
          secondaryField,
        };
        break;
      }
      case ItemType.UserIdentityAc: {
        const response = readLengthPrefixed(v, 0, 'user identity response');
        if (isDecodeError(response)) return response;
        userIdentityServerResponse = Uint8Array.from(response.field);
        break;
      }
      default:
        // Unknown or not used by us (e.g. 0x57 common extended negotiation): skipped (PS3.7 D.3.3).
        break;
    }
  }
  if (roleSelections.length > 128) return overLimit('more than 128 role selections');
  return {
    maxPduLength,
    implementationClassUid,
    implementationVersionName,
    asyncOperationsWindow,
    roleSelections,
    extendedNegotiations,
    userIdentity,
    userIdentityServerResponse,
  };
}

export function encodeUserInformation(info: UserInformation): Buffer {
  const parts: Buffer[] = [];
  if (info.maxPduLength !== null) {
    const v = Buffer.alloc(4);
    v.writeUInt32BE(info.maxPduLength, 0);
    parts.push(item(ItemType.MaximumLength, v));
  }
  if (info.implementationClassUid !== null) parts.push(item(ItemType.ImplementationClassUid, Buffer.from(info.implementationClassUid, 'latin1')));
  if (info.asyncOperationsWindow !== null) {
    const v = Buffer.alloc(4);
    v.writeUInt16BE(info.asyncOperationsWindow.maxOperationsInvoked, 0);
    v.writeUInt16BE(info.asyncOperationsWindow.maxOperationsPerformed, 2);
    parts.push(item(ItemType.AsynchronousOperationsWindow, v));
  }
  for (const role of info.roleSelections) {
    const uid = Buffer.from(role.sopClassUid, 'latin1');
    const v = Buffer.alloc(2 + uid.length + 2);
    v.writeUInt16BE(uid.length, 0);
    uid.copy(v, 2);
    v[2 + uid.length] = role.scuRole ? 1 : 0;
    v[3 + uid.length] = role.scpRole ? 1 : 0;
    parts.push(item(ItemType.RoleSelection, v));
  }
  if (info.implementationVersionName !== null) {
    parts.push(item(ItemType.ImplementationVersionName, Buffer.from(info.implementationVersionName.slice(0, MAX_VERSION_NAME_BYTES), 'latin1')));
  }
  for (const ext of info.extendedNegotiations) {
    const uid = Buffer.from(ext.sopClassUid, 'latin1');
    const head = Buffer.alloc(2);
    head.writeUInt16BE(uid.length, 0);
    parts.push(item(ItemType.ExtendedNegotiation, Buffer.concat([head, uid, ext.applicationInformation])));
  }
  if (info.userIdentity !== null) {
    const id = info.userIdentity;
    const head = Buffer.from([id.type, id.positiveResponseRequested ? 1 : 0]);
    parts.push(item(ItemType.UserIdentityRq, Buffer.concat([head, lengthPrefixed(id.primaryField), lengthPrefixed(id.secondaryField)])));
  }
  if (info.userIdentityServerResponse !== null) parts.push(item(ItemType.UserIdentityAc, lengthPrefixed(info.userIdentityServerResponse)));
  return item(ItemType.UserInformation, Buffer.concat(parts));
}

/** Builds one item: type, reserved byte, 2-byte big-endian length, value (PS3.8 §9.3.2). */
export function item(type: number, value: Uint8Array): Buffer {
  if (value.length > 0xffff) throw new RangeError('item value longer than 65535 bytes');
  const out = Buffer.allocUnsafe(4 + value.length);
  out[0] = type;
  out[1] = 0;
  out.writeUInt16BE(value.length, 2);
  out.set(value, 4);
  return out;
}

function lengthPrefixed(value: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(2 + value.length);
  out.writeUInt16BE(value.length, 0);
  out.set(value, 2);
  return out;
}

function printable(bytes: Buffer): string {
  let s = '';
  for (const b of bytes) if (b >= 0x20 && b <= 0x7e) s += String.fromCharCode(b);
  return s.trim();
}
