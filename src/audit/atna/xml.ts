/** A tiny XML writer: enough for audit messages, with escaping that keeps any text well-formed. */
export type XmlAttributes = Readonly<Record<string, string | number | boolean | null | undefined>>;

export interface XmlElement {
  readonly name: string;
  readonly attributes?: XmlAttributes;
  readonly children?: readonly XmlElement[];
  readonly text?: string;
}

export function el(name: string, attributes: XmlAttributes = {}, children: readonly XmlElement[] = [], text?: string): XmlElement {
  return text === undefined ? { name, attributes, children } : { name, attributes, children, text };
}

export function renderXml(element: XmlElement): string {
  const attributes = Object.entries(element.attributes ?? {})
    .filter((entry): entry is [string, string | number | boolean] => entry[1] !== null && entry[1] !== undefined)
    .map(([key, value]) => ` ${key}="${escapeXml(String(value))}"`)
    .join('');
  const children = (element.children ?? []).map(renderXml).join('');
  const text = element.text === undefined ? '' : escapeXml(element.text);
  return children === '' && text === '' ? `<${element.name}${attributes}/>` : `<${element.name}${attributes}>${text}${children}</${element.name}>`;
}

/**
 * Escapes markup characters; characters XML 1.0 does not allow at all (C0 controls other than
 * tab, LF, CR; lone surrogates; U+FFFE/U+FFFF) become U+FFFD, so hostile text cannot break the message.
 */
export function escapeXml(text: string): string {
  return text
    .replace(/[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '\uFFFD')
    .replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] as string);
}
