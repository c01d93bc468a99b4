/**
 * Turns captured element bytes into the text and numbers of `InstanceAttributes`, collecting a
 * fault for every value that does not conform. Fault messages name the problem, never the value.
 */
import { decodeText, splitPersonName, isEmptyPersonName, type TextCharset, type TextDecoders } from '../charset/index.js';
import type { AttributeFault, PersonName } from './instance-attributes.js';
import { tagToString, type CapturedItem } from './element-walker.js';
import { CHARSET_VRS, TAG_VR } from './header-tags.js';
import { isValidDate, isValidTime, parseDecimalStrings, parseIntegerString } from './value-checks.js';

/** Trailing spaces and NULs are padding (PS3.5 §6.2); leading spaces are insignificant except in text. */
function trimValue(value: string, vr: string): string {
  const end = value.replace(/[ \0]+$/, '');
  return vr === 'ST' || vr === 'LT' || vr === 'UT' ? end : end.replace(/^ +/, '');
}

export class ValueReader {
  constructor(
    private readonly charset: TextCharset,
    private readonly decoders: TextDecoders,
    readonly faults: AttributeFault[],
  ) {}

  fault(code: string, tag: number | null, message: string): void {
    this.faults.push({ code, tag: tag === null ? null : tagToString(tag), message });
  }

  /** Decoded text with padding removed per value; null when absent or empty. */
  text(item: CapturedItem | undefined, tag: number): string | null {
    const captured = item?.values.get(tag);
    if (captured === undefined || captured.bytes.length === 0) return null;
    const vr = TAG_VR.get(tag) ?? 'LO';
    const delimiters = vr === 'PN' ? 'person-name' : vr === 'ST' || vr === 'LT' || vr === 'UT' ? 'text' : 'multi-valued';
    const decoded = decodeText(captured.bytes, this.charset, delimiters, this.decoders);
    if (decoded.fault !== null) {
      const where = CHARSET_VRS.has(vr) ? 'the declared character set' : 'the default repertoire';
      this.fault(decoded.fault, tag, decoded.fault === 'CHARSET_UNDECLARED'
        ? 'Non-ASCII text without a declared character set; decoded with the configured fallback'
        : `Bytes not valid in ${where}`);
    }
    if (delimiters === 'text') return trimValue(decoded.text, vr) || null;
    const joined = decoded.text.split('\\').map((v) => trimValue(v, vr)).join('\\');
    return joined.replace(/\\+$/, '') === '' ? null : joined;
  }

  personName(item: CapturedItem | undefined, tag: number): PersonName | null {
    const text = this.text(item, tag);
    if (text === null) return null;
    const name = splitPersonName(text);
    return isEmptyPersonName(name) ? null : name;
  }

  date(item: CapturedItem | undefined, tag: number): string | null {
    const value = this.text(item, tag);
    if (value !== null && !isValidDate(value)) this.fault('DATE_INVALID', tag, 'Not a valid DA (YYYYMMDD calendar date)');
    return value;
  }

  time(item: CapturedItem | undefined, tag: number): string | null {
    const value = this.text(item, tag);
    if (value !== null && !isValidTime(value)) this.fault('TIME_INVALID', tag, 'Not a valid TM (HHMMSS.FFFFFF)');
    return value;
  }

  /** IS kept as text, checked value by value. */
  integerText(item: CapturedItem | undefined, tag: number): string | null {
    const value = this.text(item, tag);
    if (value !== null && value.split('\\').some((v) => parseIntegerString(v) === null)) {
      this.fault('NUMBER_INVALID', tag, 'Not a valid IS (integer string)');
    }
    return value;
  }

  /** DS kept as text, checked value by value. */
  decimalText(item: CapturedItem | undefined, tag: number): string | null {
    const value = this.text(item, tag);
    if (value !== null && value.split('\\').some((v) => parseDecimalStrings(v, 1) === null)) {
      this.fault('NUMBER_INVALID', tag, 'Not a valid DS (decimal string)');
    }
    return value;
  }

  decimals(item: CapturedItem | undefined, tag: number, count: number): number[] | null {
    const value = this.text(item, tag);
    if (value === null) return null;
    const numbers = parseDecimalStrings(value, count);
    if (numbers === null) this.fault('NUMBER_INVALID', tag, `Expected ${count} decimal numbers`);
    return numbers;
  }

  integer(item: CapturedItem | undefined, tag: number): number | null {
    const value = this.text(item, tag);
    if (value === null) return null;
    const n = parseIntegerString(value);
    if (n === null) this.fault('NUMBER_INVALID', tag, 'Not a valid IS (integer string)');
    return n;
  }

  /** US, VM 1 (the stream's byte order applies). */
  unsignedShort(item: CapturedItem | undefined, tag: number): number | null {
    const captured = item?.values.get(tag);
    if (captured === undefined || captured.bytes.length === 0) return null;
    if (captured.bytes.length !== 2) {
      this.fault('VALUE_LENGTH_INVALID', tag, 'A US value must be 2 bytes long');
      if (captured.bytes.length < 2) return null;
    }
    const b = captured.bytes;
    return captured.littleEndian ? b[0]! | (b[1]! << 8) : (b[0]! << 8) | b[1]!;
  }
}
