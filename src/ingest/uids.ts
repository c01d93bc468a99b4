/**
 * A UID identifies an object and may travel into file metadata and queries: refuse anything that is
 * not a PS3.5 §9.1 UID (digits and dots, ≤ 64 characters, no empty or leading-zero components).
 */
export function isValidUid(text: string): boolean {
  if (text.length === 0 || text.length > 64) return false;
  return /^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$/.test(text);
}
