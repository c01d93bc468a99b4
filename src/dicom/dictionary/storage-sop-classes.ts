import { STORAGE_SOP_CLASSES, type StorageSopClass } from './storage-sop-classes.generated.js';

const BY_UID: ReadonlyMap<string, StorageSopClass> = new Map(STORAGE_SOP_CLASSES.map((c) => [c.uid, c]));

/** The standard Storage SOP Class with this UID (retired ones included), or null. */
export function storageSopClassOf(uid: string): StorageSopClass | null {
  return BY_UID.get(uid) ?? null;
}

/**
 * Whether C-STORE / STOW-RS may carry this SOP class: any standard Storage SOP Class of PS3.6
 * (retired ones too — old modalities still send them), or a private one the site allowed.
 */
export function isStorageSopClass(uid: string, privateAllowed: ReadonlySet<string>): boolean {
  return BY_UID.has(uid) || privateAllowed.has(uid);
}
