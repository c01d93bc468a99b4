/**
 * A small cache of `TextDecoder`s, one per reader (no module-level state). Each decode is first tried
 * strictly; invalid input is decoded again leniently (U+FFFD for bad bytes) and reported.
 */
import { TextDecoder } from 'node:util';

export interface DecodeOutcome {
  readonly text: string;
  readonly invalid: boolean;
}

/**
 * ISO 8859-1 exactly: WHATWG's `latin1` label means windows-1252, which differs at 0x80–0x9F;
 * Node's Buffer `latin1` maps each byte to the code point of the same value (and does it natively:
 * this runs for every text value of every received header).
 */
export function decodeLatin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

export class TextDecoders {
  private readonly strict = new Map<string, TextDecoder>();
  private readonly lenient = new Map<string, TextDecoder>();

  /** Whether Node's ICU knows the label (used to validate a configured fallback). */
  static supports(label: string): boolean {
    if (label === 'latin1') return true;
    try {
      new TextDecoder(label);
      return true;
    } catch {
      return false;
    }
  }

  decode(label: string, bytes: Uint8Array): DecodeOutcome {
    if (label === 'latin1') return { text: decodeLatin1(bytes), invalid: false };
    try {
      return { text: this.decoder(this.strict, label, true).decode(bytes), invalid: false };
    } catch {
      return { text: this.decoder(this.lenient, label, false).decode(bytes), invalid: true };
    }
  }

  private decoder(cache: Map<string, TextDecoder>, label: string, fatal: boolean): TextDecoder {
    let decoder = cache.get(label);
    if (decoder === undefined) {
      decoder = new TextDecoder(label, { fatal, ignoreBOM: true });
      cache.set(label, decoder);
    }
    return decoder;
  }
}
