export type { AttributeFault, FramePosition, InstanceAttributes, PersonName } from './instance-attributes.js';
export { readInstanceHeader, DEFAULT_MAX_INFLATED_BYTES, DEFAULT_MAX_INFLATED_HEADER_BYTES, type HeaderReadInput, type HeaderReadResult } from './header-reader.js';
export { lossyFlag, isLossyTransferSyntax } from './lossy.js';
export { MAX_SEQUENCE_DEPTH, tagToString } from './element-walker.js';
export {
  checkIdentifyingUid,
  isValidDate,
  isValidDateTime,
  isValidTime,
  isValidUtcOffset,
  parseDecimalString,
  parseIntegerString,
  type UidCheck,
} from './value-checks.js';
