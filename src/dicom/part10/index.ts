export { buildFileMetaHeader, readFileMeta, type FileMeta, type FileMetaInput } from './file-meta.js';
