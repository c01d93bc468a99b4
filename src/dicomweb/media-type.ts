/**
 * Media type parsing for DICOMweb (RFC 9110 §8.3.1 syntax, RFC 2046 §5.1.1 boundaries). Strict:
 * what does not parse is refused rather than guessed at.
 */
import { err, kakuteiError, ok, type Result } from '../errors/index.js';

export interface MediaType {
  /** Lower-case `type/subtype`. */
  readonly essence: string;
  /** Parameter names lower-cased; values unquoted. */
  readonly parameters: ReadonlyMap<string, string>;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const UNQUOTED_VALUE = /^[!#$%&'*+.^_`|~0-9A-Za-z/-]+$/;
export const MAX_MEDIA_TYPE_LENGTH = 1024;

export function parseMediaType(text: string): Result<MediaType> {
  const bad = (detail: string) => err(kakuteiError('MEDIA_TYPE_UNSUPPORTED', detail));
  if (text.length > MAX_MEDIA_TYPE_LENGTH) return bad('media type too long');
  let at = text.indexOf(';');
  const essence = (at < 0 ? text : text.slice(0, at)).trim().toLowerCase();
  const [type, subtype, extra] = essence.split('/');
  if (type === undefined || subtype === undefined || extra !== undefined || !TOKEN.test(type) || !TOKEN.test(subtype)) return bad('malformed media type');
  const parameters = new Map<string, string>();
  while (at >= 0) {
    let i = at + 1;
    while (text[i] === ' ' || text[i] === '\t') i++;
    if (i >= text.length) break;
    const eq = text.indexOf('=', i);
    if (eq < 0) return bad('malformed media type parameter');
    const name = text.slice(i, eq).trim().toLowerCase();
    if (!TOKEN.test(name)) return bad('malformed media type parameter');
    let value: string;
    i = eq + 1;
    if (text[i] === '"') {
      value = '';
      i++;
      for (;;) {
        const c = text[i];
        if (c === undefined) return bad('unterminated quoted parameter');
        if (c === '"') break;
        if (c === '\\') {
          i++;
          if (text[i] === undefined) return bad('unterminated quoted parameter');
        }
        value += text[i];
        i++;
      }
      i++;
      const next = text.indexOf(';', i);
      if (text.slice(i, next < 0 ? undefined : next).trim() !== '') return bad('malformed media type parameter');
      at = next;
    } else {
      const next = text.indexOf(';', i);
      value = text.slice(i, next < 0 ? undefined : next).trim();
      // Unquoted `type=application/dicom` is not a token, but every DICOMweb client sends it.
      if (!UNQUOTED_VALUE.test(value)) return bad('malformed media type parameter');
      at = next;
    }
    if (parameters.has(name)) return bad('duplicate media type parameter');
    parameters.set(name, value);
  }
  return ok({ essence, parameters });
}

/** RFC 2046 §5.1.1: 1–70 characters of bchars, not ending in a space. */
export function isValidBoundary(boundary: string): boolean {
  return /^[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]$/.test(boundary);
}
