/**
 * Small value rules the upper layer applies: AE titles (PS3.5 §6.2, VR AE) and UIDs (PS3.5 §9.1).
 */

/** AE titles are at most 16 characters (PS3.5 table 6.2-1). */
export const AE_TITLE_MAX_LENGTH = 16;
/** UIDs are at most 64 characters (PS3.5 §9.1). */
export const UID_MAX_LENGTH = 64;

/**
 * An AE title is 1–16 characters of the default repertoire without backslash or control characters;
 * leading and trailing spaces are not significant (PS3.5 table 6.2-1). Takes an already trimmed value.
 */
export function isValidAeTitle(aeTitle: string): boolean {
  if (aeTitle.length < 1 || aeTitle.length > AE_TITLE_MAX_LENGTH) return false;
  for (let i = 0; i < aeTitle.length; i++) {
    const c = aeTitle.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x5c) return false;
  }
  return aeTitle.trim() === aeTitle;
}

/** Removes the space padding of AE fields (PS3.5 §6.2: leading/trailing spaces insignificant). */
export function trimAeTitle(raw: string): string {
  return raw.replace(/^ +| +$/g, '');
}

/**
 * Reads a UID from an item or a UI element: strips the trailing NUL (PS3.5 §9.1) or space padding
 * some implementations add. The result may still be invalid; see {@link isValidUid}.
 */
export function decodeUid(bytes: Uint8Array): string {
  let end = bytes.length;
  while (end > 0 && (bytes[end - 1] === 0x00 || bytes[end - 1] === 0x20)) end--;
  return Buffer.from(bytes.buffer, bytes.byteOffset, end).toString('latin1');
}

const UID_PATTERN = /^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$/;
const UID_LENIENT_PATTERN = /^[0-9]+(\.[0-9]+)*$/;

/**
 * A UID is digits and dots, at most 64 characters. Leading zeros in a component are tolerated
 * (seen in the wild) unless `strict`: what matters for safety is the character set and length.
 */
export function isValidUid(uid: string, strict = false): boolean {
  if (uid.length < 1 || uid.length > UID_MAX_LENGTH) return false;
  return (strict ? UID_PATTERN : UID_LENIENT_PATTERN).test(uid);
}

/** Encodes an AE title into its 16-byte space-padded field form (PS3.8 §9.3.2). */
export function encodeAeField(aeTitle: string): Buffer {
  const field = Buffer.alloc(AE_TITLE_MAX_LENGTH, 0x20);
  field.write(aeTitle.slice(0, AE_TITLE_MAX_LENGTH), 0, 'latin1');
  return field;
}
