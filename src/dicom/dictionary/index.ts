export { STORAGE_SOP_CLASSES, STORAGE_SOP_CLASSES_SOURCE, type StorageSopClass } from './storage-sop-classes.generated.js';
export { isStorageSopClass, storageSopClassOf } from './storage-sop-classes.js';
export {
  DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN,
  EXPLICIT_VR_BIG_ENDIAN,
  EXPLICIT_VR_LITTLE_ENDIAN,
  IMPLICIT_VR_LITTLE_ENDIAN,
  TRANSFER_SYNTAXES,
  VERIFICATION_SOP_CLASS_UID,
  isLossyTransferSyntax,
  transferSyntaxOf,
  type TransferSyntax,
} from './transfer-syntaxes.js';
export { LONG_LENGTH_VRS, SHORT_LENGTH_VRS } from './value-representations.js';
