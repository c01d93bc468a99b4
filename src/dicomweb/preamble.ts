/**
 * The 128-byte Part 10 preamble of a STOW-RS part or a media file (PS3.10 §7.1) is free for
 * application use — and so can make a DICOM file that is also a Windows, Linux or macOS executable
 * (the "PE/DICOM polyglot", CVE-2019-11687). Kakutei never serves such bytes back: the stored file's
 * preamble is written by us (zeros, `buildFileMetaHeader`), and this check runs on the way in so that
 * the event is known (refuse or flag) and any copy kept as received is neutralized.
 *
 * Policy: an executable preamble (PE `MZ`, ELF `\x7fELF`, Mach-O thin/fat magics) and any other
 * non-zero content that is not TIFF are zeroed; a TIFF preamble (`II*\0` / `MM\0*`, PS3.10 §7.5 dual
 * personality files) is kept as is.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { err, kakuteiError, ok, type ErrorCode, type Result } from '../errors/index.js';

export type PreambleKind = 'zero' | 'tiff' | 'executable' | 'other';

const PREAMBLE_BYTES = 128;
const PREFIX_BYTES = 132;

export function classifyPreamble(preamble: Uint8Array): PreambleKind {
  const p = preamble.subarray(0, PREAMBLE_BYTES);
  if (p.every((b) => b === 0)) return 'zero';
  const [b0 = 0, b1 = 0, b2 = 0, b3 = 0] = p;
  if ((b0 === 0x49 && b1 === 0x49 && b2 === 0x2a && b3 === 0) || (b0 === 0x4d && b1 === 0x4d && b2 === 0 && b3 === 0x2a)) return 'tiff';
  const magic = ((b0 << 24) | (b1 << 16) | (b2 << 8) | b3) >>> 0;
  const executable =
    (b0 === 0x4d && b1 === 0x5a) || // PE / DOS "MZ"
    magic === 0x7f454c46 || // ELF
    [0xfeedface, 0xfeedfacf, 0xcefaedfe, 0xcffaedfe, 0xcafebabe, 0xbebafeca].includes(magic); // Mach-O thin and fat
  return executable ? 'executable' : 'other';
}

export interface CheckedPrefix {
  readonly kind: PreambleKind;
  /** True when the preamble was replaced by zeros. */
  readonly zeroed: boolean;
}

/**
 * Checks the first 132 bytes of a Part 10 file in place: "DICM" must follow the preamble
 * (DATASET_UNPARSEABLE / DATASET_TRUNCATED otherwise); the preamble is zeroed per the policy above.
 */
export function neutralizePreamble(prefix: Uint8Array): Result<CheckedPrefix> {
  if (prefix.length < PREFIX_BYTES) return err(kakuteiError('DATASET_TRUNCATED', 'shorter than preamble and DICM prefix'));
  if (Buffer.from(prefix.subarray(PREAMBLE_BYTES, PREFIX_BYTES)).toString('latin1') !== 'DICM') {
    return err(kakuteiError('DATASET_UNPARSEABLE', 'no DICM prefix at offset 128'));
  }
  const kind = classifyPreamble(prefix);
  const zeroed = kind === 'executable' || kind === 'other';
  if (zeroed) prefix.fill(0, 0, PREAMBLE_BYTES);
  return ok({ kind, zeroed });
}

/**
 * A stream transform that applies `neutralizePreamble` to the first 132 bytes of a part body and
 * passes everything else through unchanged. `onChecked` reports the result (for the audit trail);
 * a body that is not Part 10 ends the stream with an error carrying the code.
 */
export class PreambleGuard extends Transform {
  private head: Buffer[] = [];
  private headBytes = 0;
  private checked = false;

  constructor(private readonly onChecked: (result: Result<CheckedPrefix>) => void) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.checked) {
      callback(null, chunk);
      return;
    }
    this.head.push(chunk);
    this.headBytes += chunk.length;
    if (this.headBytes < PREFIX_BYTES) {
      callback();
      return;
    }
    this.release(callback);
  }

  override _flush(callback: TransformCallback): void {
    if (this.checked) callback();
    else this.release(callback);
  }

  private release(callback: TransformCallback): void {
    this.checked = true;
    const all = Buffer.concat(this.head);
    this.head = [];
    const result = neutralizePreamble(all);
    this.onChecked(result);
    if (!result.ok) callback(new PreambleError(result.error.code));
    else callback(null, all);
  }
}

export class PreambleError extends Error {
  constructor(readonly code: ErrorCode) {
    super(code);
  }
}
