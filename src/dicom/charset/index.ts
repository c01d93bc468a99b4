export { resolveCharset, type TextCharset, type G0Set, type G1Set, type WholeValueCodec } from './character-sets.js';
export { TextDecoders, decodeLatin1, type DecodeOutcome } from './decoders.js';
export { decodeText, type CharsetFaultCode, type DecodedText } from './decode-text.js';
export { decodeIso2022, type DelimiterSet } from './iso2022.js';
export { splitPersonName, isEmptyPersonName } from './person-name.js';

import { resolveCharset } from './character-sets.js';
import { decodeText, type DecodedText } from './decode-text.js';
import { TextDecoders } from './decoders.js';
import type { DelimiterSet } from './iso2022.js';

/** One-shot convenience: decode `bytes` under the declaration `specificCharacterSet`. */
export function decodeDicomText(
  bytes: Uint8Array,
  specificCharacterSet: string | null,
  options: { readonly delimiters?: DelimiterSet; readonly fallbackCharset?: string | null } = {},
): DecodedText {
  const charset = resolveCharset(specificCharacterSet, options.fallbackCharset ?? null);
  return decodeText(bytes, charset, options.delimiters ?? 'multi-valued', new TextDecoders());
}
