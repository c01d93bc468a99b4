export type { ObjectStore, PendingObject, CommittedObject, ObjectKey, StoreCapabilities } from './object-store.js';
export { isObjectKey } from './object-store.js';
export { StorageError } from './storage-error.js';
export { createFilesystemStore, type FilesystemObjectStore, type FilesystemStoreOptions } from './fs/filesystem-store.js';
export { nodeFsOps, type FsOps, type FsFile } from './fs/fs-ops.js';
export { appendDurably, fsyncDirectory, makeDirectoryDurably } from './durable-file.js';
