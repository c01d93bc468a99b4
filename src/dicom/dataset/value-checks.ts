/**
 * Conformance checks for value representations (PS3.5 §6.2, Table 6.2-1). A failing check is a
 * fault to show the inspector, never a reason to refuse the object, except for the identifying
 * UIDs (see `checkIdentifyingUid`).
 */

function isValidCalendarDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const days = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return day <= days;
}

/** DA: YYYYMMDD, a real calendar date (PS3.5 Table 6.2-1). */
export function isValidDate(value: string): boolean {
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(value);
  if (m === null) return false;
  return isValidCalendarDate(Number(m[1]), Number(m[2]), Number(m[3]));
}

/** TM: HH[MM[SS[.F{1,6}]]], hours 00–23, minutes 00–59, seconds 00–60 (leap second). */
export function isValidTime(value: string): boolean {
  const m = /^(\d{2})(?:(\d{2})(?:(\d{2})(?:\.\d{1,6})?)?)?$/.exec(value);
  if (m === null) return false;
  return Number(m[1]) <= 23 && (m[2] === undefined || Number(m[2]) <= 59) && (m[3] === undefined || Number(m[3]) <= 60);
}

/** The `&ZZXX` offset of DT and of Timezone Offset From UTC (0008,0201): −1200 … +1400. */
export function isValidUtcOffset(value: string): boolean {
  const m = /^([+-])(\d{2})(\d{2})$/.exec(value);
  if (m === null) return false;
  const minutes = Number(m[2]) * 60 + Number(m[3]);
  if (Number(m[3]) > 59) return false;
  return m[1] === '-' ? minutes <= 12 * 60 : minutes <= 14 * 60;
}

/** DT: YYYY[MM[DD[HH[MM[SS[.F{1,6}]]]]]][&ZZXX]. */
export function isValidDateTime(value: string): boolean {
  const m = /^(\d{4})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:\.\d{1,6})?)?)?)?)?)?([+-]\d{4})?$/.exec(value);
  if (m === null) return false;
  const [, year, month, day, hour, minute, second, offset] = m;
  if (month !== undefined && (Number(month) < 1 || Number(month) > 12)) return false;
  if (day !== undefined && !isValidCalendarDate(Number(year), Number(month), Number(day))) return false;
  if (hour !== undefined && Number(hour) > 23) return false;
  if (minute !== undefined && Number(minute) > 59) return false;
  if (second !== undefined && Number(second) > 60) return false;
  return offset === undefined || isValidUtcOffset(offset);
}

/** IS: a signed integer in −2^31 … 2^31−1, with optional surrounding spaces. */
export function parseIntegerString(value: string): number | null {
  const text = value.trim();
  if (!/^[+-]?\d{1,12}$/.test(text)) return null;
  const n = Number(text);
  return n >= -(2 ** 31) && n <= 2 ** 31 - 1 ? n : null;
}

/** DS: a fixed or floating point decimal, finite (PS3.5 Table 6.2-1). */
export function parseDecimalString(value: string): number | null {
  const text = value.trim();
  if (!/^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(text)) return null;
  const n = Number(text);
  return Number.isFinite(n) ? n : null;
}

/** Every value of a multi-valued DS, or null when any is missing or not a number. */
export function parseDecimalStrings(text: string, expectedCount: number): number[] | null {
  const parts = text.split('\\');
  if (parts.length !== expectedCount) return null;
  const numbers: number[] = [];
  for (const part of parts) {
    const n = parseDecimalString(part);
    if (n === null) return null;
    numbers.push(n);
  }
  return numbers;
}

export type UidCheck = 'ok' | 'nonconformant' | 'refused';

/**
 * A UID that identifies the object (SOP Class/Instance, Study, Series). Anything that could be used
 * to play with paths or storage keys — other characters than digits and dots, empty components,
 * more than 64 characters — is refused (PS3.5 §9.1). A component with a leading zero is only
 * nonconformant: such UIDs exist in the field and are still unambiguous.
 */
export function checkIdentifyingUid(uid: string): UidCheck {
  if (uid.length === 0 || uid.length > 64) return 'refused';
  if (!/^\d+(?:\.\d+)*$/.test(uid)) return 'refused';
  return uid.split('.').some((c) => c.length > 1 && c.startsWith('0')) ? 'nonconformant' : 'ok';
}
