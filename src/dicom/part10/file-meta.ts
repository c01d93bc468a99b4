/**
 * DICOM Part 10 file meta information (PS3.10 §7.1): a 128-byte preamble, "DICM", then group 0002
 * in explicit VR little endian, whatever the dataset's transfer syntax.
 */
import { err, kakuteiError, ok, type Result } from '../../errors/index.js';
import { transferSyntaxOf } from '../dictionary/transfer-syntaxes.js';
import { LONG_LENGTH_VRS } from '../dictionary/value-representations.js';

export interface FileMetaInput {
  readonly mediaStorageSopClassUid: string;
  readonly mediaStorageSopInstanceUid: string;
  readonly transferSyntaxUid: string;
  readonly implementationClassUid: string;
  readonly implementationVersionName: string;
  readonly sourceApplicationEntityTitle?: string;
}

export interface FileMeta {
  readonly transferSyntaxUid: string;
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  /** Where the dataset starts: the first byte after group 0002. */
  readonly datasetOffset: number;
  /** What the preamble holds; an executable one must never be served back as is. */
  readonly preamble: 'zero' | 'tiff' | 'executable' | 'other';
}

const PREAMBLE_BYTES = 128;
const MAGIC_END = 132;

/** PS3.10 Table 7.1-1: the VR each meta element must have. */
const META_VRS: ReadonlyMap<number, string> = new Map([
  [0x0000, 'UL'],
  [0x0001, 'OB'],
  [0x0002, 'UI'],
  [0x0003, 'UI'],
  [0x0010, 'UI'],
  [0x0012, 'UI'],
  [0x0013, 'SH'],
  [0x0016, 'AE'],
  [0x0017, 'UI'],
  [0x0026, 'UR'],
  [0x0027, 'AE'],
  [0x0028, 'UR'],
  [0x0031, 'AE'],
  [0x0032, 'UR'],
  [0x0033, 'LO'],
  [0x0035, 'AE'],
  [0x0100, 'UI'],
  [0x0102, 'OB'],
]);


function padded(text: string, pad: number): Uint8Array {
  const bytes = Buffer.from(text, 'latin1');
  if (bytes.length % 2 === 0) return bytes;
  return Buffer.concat([bytes, Buffer.from([pad])]);
}

function element(elementNumber: number, vr: string, value: Uint8Array): Buffer {
  const long = LONG_LENGTH_VRS.has(vr);
  const header = Buffer.alloc(long ? 12 : 8);
  header.writeUInt16LE(0x0002, 0);
  header.writeUInt16LE(elementNumber, 2);
  header.write(vr, 4, 'latin1');
  if (long) header.writeUInt32LE(value.length, 8);
  else header.writeUInt16LE(value.length, 6);
  return Buffer.concat([header, value]);
}

/**
 * Preamble (zeros), "DICM" and group 0002 with a correct group length. UIDs are padded with NUL,
 * text with a space, to even length (PS3.5 §6.2).
 */
export function buildFileMetaHeader(input: FileMetaInput): Uint8Array {
  const uid = (text: string) => padded(text, 0x00);
  const text = (value: string) => padded(value, 0x20);
  const body: Buffer[] = [
    element(0x0001, 'OB', Uint8Array.from([0x00, 0x01])),
    element(0x0002, 'UI', uid(input.mediaStorageSopClassUid)),
    element(0x0003, 'UI', uid(input.mediaStorageSopInstanceUid)),
    element(0x0010, 'UI', uid(input.transferSyntaxUid)),
    element(0x0012, 'UI', uid(input.implementationClassUid)),
  ];
  if (input.implementationVersionName !== '') body.push(element(0x0013, 'SH', text(input.implementationVersionName)));
  if (input.sourceApplicationEntityTitle !== undefined && input.sourceApplicationEntityTitle !== '') {
    body.push(element(0x0016, 'AE', text(input.sourceApplicationEntityTitle)));
  }
  const groupLength = Buffer.alloc(4);
  groupLength.writeUInt32LE(body.reduce((sum, b) => sum + b.length, 0), 0);
  return Buffer.concat([Buffer.alloc(PREAMBLE_BYTES), Buffer.from('DICM', 'latin1'), element(0x0000, 'UL', groupLength), ...body]);
}

function classifyPreamble(bytes: Uint8Array): FileMeta['preamble'] {
  const p = bytes.subarray(0, PREAMBLE_BYTES);
  if (p.every((b) => b === 0)) return 'zero';
  const b0 = p[0]!;
  const b1 = p[1]!;
  if ((b0 === 0x49 && b1 === 0x49 && p[2] === 0x2a) || (b0 === 0x4d && b1 === 0x4d && p[3] === 0x2a)) return 'tiff';
  const magic = ((b0 << 24) | (b1 << 16) | (p[2]! << 8) | p[3]!) >>> 0;
  const executable =
    (b0 === 0x4d && b1 === 0x5a) || // PE/DOS "MZ"
    magic === 0x7f454c46 || // ELF
    [0xfeedface, 0xfeedfacf, 0xcefaedfe, 0xcffaedfe, 0xcafebabe].includes(magic); // Mach-O (thin, fat)
  return executable ? 'executable' : 'other';
}

function text(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1').replace(/[ \0]+$/, '');
}

/** Parses the file meta group of a Part 10 file. Refuses what lies; never reads past the data. */
export function readFileMeta(bytes: Uint8Array): Result<FileMeta> {
  const refuse = (detail: string) => err(kakuteiError('DATASET_UNPARSEABLE', detail));
  if (bytes.length < MAGIC_END) return err(kakuteiError('DATASET_TRUNCATED', 'shorter than preamble and DICM prefix'));
  if (text(bytes.subarray(PREAMBLE_BYTES, MAGIC_END)) !== 'DICM') return refuse('no DICM prefix at offset 128');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const values = new Map<number, Uint8Array>();
  let position = MAGIC_END;
  let declaredEnd: number | null = null;
  for (;;) {
    if (declaredEnd !== null && position === declaredEnd) break;
    if (declaredEnd !== null && position > declaredEnd) return refuse('meta elements overrun the declared group length');
    if (position + 8 > bytes.length) {
      if (declaredEnd === null && position === bytes.length && values.size > 0) break;
      return err(kakuteiError('DATASET_TRUNCATED', 'the file meta group ends early'));
    }
    const group = view.getUint16(position, true);
    if (group !== 0x0002) {
      if (declaredEnd !== null) return refuse('the group length is longer than the meta group');
      break;
    }
    const elementNumber = view.getUint16(position + 2, true);
    const vr = String.fromCharCode(bytes[position + 4]!, bytes[position + 5]!);
    if (!/^[A-Z]{2}$/.test(vr)) return refuse('the file meta group is not explicit VR (PS3.10 §7.1)');
    const expectedVr = META_VRS.get(elementNumber);
    if (expectedVr !== undefined && expectedVr !== vr) return refuse(`meta element (0002,${elementNumber.toString(16).padStart(4, '0')}) has VR ${vr}`);
    const long = LONG_LENGTH_VRS.has(vr);
    if (long && position + 12 > bytes.length) return err(kakuteiError('DATASET_TRUNCATED', 'the file meta group ends early'));
    const length = long ? view.getUint32(position + 8, true) : view.getUint16(position + 6, true);
    const valueStart: number = position + (long ? 12 : 8);
    if (length === 0xffffffff) return refuse('undefined length in the file meta group');
    if (valueStart + length > bytes.length) return err(kakuteiError('DATASET_TRUNCATED', 'a meta element is longer than the file'));
    const value = bytes.subarray(valueStart, valueStart + length);
    if (elementNumber === 0x0000) {
      if (length !== 4 || values.size > 0) return refuse('malformed (0002,0000) group length');
      const end: number = valueStart + 4 + view.getUint32(valueStart, true);
      declaredEnd = end;
      if (end > bytes.length) return err(kakuteiError('DATASET_TRUNCATED', 'the group length runs past the end of the file'));
    }
    values.set(elementNumber, value);
    position = valueStart + length;
  }
  const transferSyntaxUid = text(values.get(0x0010) ?? new Uint8Array());
  if (transferSyntaxUid === '') return refuse('empty or missing transfer syntax (0002,0010)');
  if (transferSyntaxOf(transferSyntaxUid) === null) {
    return err(kakuteiError('TRANSFER_SYNTAX_NOT_SUPPORTED', `transfer syntax ${transferSyntaxUid.slice(0, 64).replace(/[^0-9.]/g, '?')}`));
  }
  return ok({
    transferSyntaxUid,
    sopClassUid: text(values.get(0x0002) ?? new Uint8Array()),
    sopInstanceUid: text(values.get(0x0003) ?? new Uint8Array()),
    datasetOffset: position,
    preamble: classifyPreamble(bytes),
  });
}
