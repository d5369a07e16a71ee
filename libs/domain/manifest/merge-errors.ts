import { DOCUMENT_PATH } from './element-paths';
import { type ManifestError } from './service-definition';

/**
 * Merges the error lists of several checkers into one answer, the most specific checker first (the domain
 * parser, then the semantic rules, then the XSD). Exact repeats are dropped; an error from a later list is
 * dropped when an earlier list already reported something at the same path (other than `/`), since both
 * are about the same spot and the earlier message is the more precise one. The result is ordered by line
 * (errors without a line last), keeping the checkers' order within a line.
 */
export function mergeManifestErrors(lists: readonly (readonly ManifestError[])[]): ManifestError[] {
  const merged: ManifestError[] = [];
  const seen = new Set<string>();
  const claimed = new Set<string>();
  for (const list of lists) {
    const claimedBefore = new Set(claimed);
    for (const error of list) {
      const key = `${error.path}\u0000${error.line ?? ''}\u0000${error.message}`;
      if (seen.has(key) || (error.path !== DOCUMENT_PATH && claimedBefore.has(error.path))) continue;
      seen.add(key);
      claimed.add(error.path);
      merged.push(error);
    }
  }
  return merged
    .map((error, order) => ({ error, order }))
    .sort((a, b) => (a.error.line ?? Infinity) - (b.error.line ?? Infinity) || a.order - b.order)
    .map(({ error }) => error);
}
