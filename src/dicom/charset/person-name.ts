/**
 * Person Name (PN) structure, PS3.5 §6.2.1: up to three component groups separated by `=`
 * (alphabetic, ideographic, phonetic), each of up to five components separated by `^`.
 */
import type { PersonName } from '../dataset/instance-attributes.js';

function trimEndPadding(text: string): string {
  return text.replace(/[\s\0]+$/, '');
}

/**
 * Splits decoded PN text into its component groups. A multi-valued PN (VM > 1, e.g. Operators' Name)
 * keeps its values joined by `\` inside each group, so that nothing is lost.
 */
export function splitPersonName(decoded: string): PersonName {
  const values = decoded.split('\\').map((value) => {
    const groups = value.split('=');
    return {
      alphabetic: trimEndPadding(groups[0] ?? ''),
      ideographic: trimEndPadding(groups[1] ?? ''),
      phonetic: trimEndPadding(groups.slice(2).join('=')),
    };
  });
  return {
    alphabetic: values.map((v) => v.alphabetic).join('\\'),
    ideographic: values.map((v) => v.ideographic).join('\\'),
    phonetic: values.map((v) => v.phonetic).join('\\'),
  };
}

/** Whether every group of a name is empty (the attribute is then reported as absent). */
export function isEmptyPersonName(name: PersonName): boolean {
  return name.alphabetic.replace(/[\\^]/g, '') === '' && name.ideographic.replace(/[\\^]/g, '') === '' && name.phonetic.replace(/[\\^]/g, '') === '';
}
