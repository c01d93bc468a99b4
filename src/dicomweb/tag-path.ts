/**
 * Where one element sits in a dataset: tags and item indexes alternating, ending on a tag, e.g.
 * `00540016/0/00181072` = Radiopharmaceutical Information Sequence, first item, Radiopharmaceutical
 * Start Time. BulkDataURIs carry such paths, never byte offsets: a client-supplied URI can then only
 * name an element that really exists in the object (BAD-INPUTS.md, "bulk-data URIs pointing anywhere").
 */
import { err, kakuteiError, ok, type Result } from '../errors/index.js';
import type { DatasetNode, ElementNode } from '../imaging/dataset-tree.js';

export interface TagPathStep {
  readonly tag: number;
  /** The item index within this element's sequence for the next step; absent on the last step. */
  readonly item?: number;
}
export type TagPath = readonly TagPathStep[];

export const MAX_TAG_PATH_DEPTH = 16;

export function tagHex(tag: number): string {
  return (tag >>> 0).toString(16).toUpperCase().padStart(8, '0');
}

export function formatTagPath(path: TagPath): string {
  return path.map((step) => (step.item === undefined ? tagHex(step.tag) : `${tagHex(step.tag)}/${step.item}`)).join('/');
}

/** Parses `GGGGEEEE(/index/GGGGEEEE)*`; anything else is INVALID_REQUEST. */
export function parseTagPath(text: string): Result<TagPath> {
  const parts = text.split('/');
  if (parts.length % 2 === 0 || parts.length > 2 * MAX_TAG_PATH_DEPTH - 1) return err(kakuteiError('INVALID_REQUEST', 'malformed bulk data path'));
  const steps: TagPathStep[] = [];
  for (let i = 0; i < parts.length; i += 2) {
    const tagText = parts[i]!;
    if (!/^[0-9A-Fa-f]{8}$/.test(tagText)) return err(kakuteiError('INVALID_REQUEST', 'malformed tag in bulk data path'));
    const tag = parseInt(tagText, 16) >>> 0;
    const itemText = parts[i + 1];
    if (itemText === undefined) {
      steps.push({ tag });
    } else {
      if (!/^\d{1,6}$/.test(itemText)) return err(kakuteiError('INVALID_REQUEST', 'malformed item index in bulk data path'));
      steps.push({ tag, item: Number(itemText) });
    }
  }
  return ok(steps);
}

/** The element a path names, or NOT_FOUND. */
export function resolveTagPath(root: DatasetNode, path: TagPath): Result<ElementNode> {
  let node: DatasetNode = root;
  for (let i = 0; i < path.length; i++) {
    const step = path[i]!;
    const element = node.elements.find((e) => e.tag === step.tag);
    if (element === undefined) return err(kakuteiError('NOT_FOUND', 'no such element'));
    if (step.item === undefined) return i === path.length - 1 ? ok(element) : err(kakuteiError('NOT_FOUND', 'no such element'));
    const item = element.items?.[step.item];
    if (item === undefined) return err(kakuteiError('NOT_FOUND', 'no such item'));
    node = item;
  }
  return err(kakuteiError('NOT_FOUND', 'empty path'));
}
