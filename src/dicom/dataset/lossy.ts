import { isLossyTransferSyntax } from '../dictionary/transfer-syntaxes.js';
import type { InstanceAttributes } from './instance-attributes.js';

export { isLossyTransferSyntax };

/**
 * Whether the pixels have been through lossy compression, now or at any earlier time: Lossy Image
 * Compression (0028,2110) = "01" (PS3.3 C.7.6.1.1.5) or a lossy transfer syntax (guideline R6).
 */
export function lossyFlag(attributes: Pick<InstanceAttributes, 'lossyImageCompression'>, transferSyntaxUid: string): boolean {
  return attributes.lossyImageCompression?.trim() === '01' || isLossyTransferSyntax(transferSyntaxUid);
}
