/**
 * The one digest of a checkpoint bundle (a directory of files on a host: memory state and one file per disk).
 * A bundle's sha256 is the sha256 of its **digest text**: one line `<name> <sha256> <bytes>\n` per file, sorted
 * by name (code-unit order), nothing else. Two bundles have the same digest exactly when they hold the same file
 * names with the same contents, so a bundle measured now whose digest equals the recorded one *is* the bundle that
 * was written: its measured file list can be handed to the hypervisor as what to expect on restore. Its size is
 * the sum of its files' bytes. The hash itself is passed in (libs/domain does no I/O and imports no crypto).
 */
import { DomainError, type ErrorDetail } from '../../shared/domain-error';
import { isSha256Hex } from './digest';

/** One file of a bundle as the hypervisor reports it (`CheckpointFile` of the Hypervisor port). */
export interface BundleFile {
  name: string;
  bytes: number;
  sha256: string;
}

/** sha256 of a UTF-8 text, as 64 lowercase hex digits. */
export type Sha256Hex = (text: string) => string;

/** A bundle's digest and size, as a checkpoint record keeps them. */
export interface BundleDigest {
  sha256: string;
  sizeBytes: number;
}

/** File names must be plain: no whitespace (it separates the fields of a line), no '/', not '.' or '..'. */
const PLAIN_NAME = /^[^\s/]{1,255}$/;

/** Every problem of a bundle's file list, with its path (`files[i].field`); empty when it can be digested. */
export function bundleProblems(files: readonly BundleFile[]): ErrorDetail[] {
  const problems: ErrorDetail[] = [];
  const add = (path: string, message: string) => problems.push({ path, message });
  if (files.length === 0) add('files', 'a checkpoint bundle needs at least one file');
  const seen = new Set<string>();
  files.forEach((f, i) => {
    if (!PLAIN_NAME.test(f.name) || f.name === '.' || f.name === '..') add(`files[${i}].name`, `file name ${JSON.stringify(f.name)} must be 1-255 characters with no whitespace or '/'`);
    if (seen.has(f.name)) add(`files[${i}].name`, `duplicate file ${JSON.stringify(f.name)}`);
    seen.add(f.name);
    if (!(Number.isSafeInteger(f.bytes) && f.bytes >= 0)) add(`files[${i}].bytes`, `bytes must be a whole number ≥ 0 (got ${f.bytes})`);
    if (!isSha256Hex(f.sha256)) add(`files[${i}].sha256`, 'sha256 must be 64 lowercase hex digits');
  });
  return problems;
}

/** The digest text: `<name> <sha256> <bytes>\n` per file, sorted by name. `invalid-input` for a malformed list. */
export function bundleDigestText(files: readonly BundleFile[]): string {
  const problems = bundleProblems(files);
  if (problems.length > 0) throw new DomainError('invalid-input', `checkpoint bundle: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`, problems);
  return [...files]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((f) => `${f.name} ${f.sha256} ${f.bytes}\n`)
    .join('');
}

/** The bundle's sha256 (over its digest text) and size (sum of its files' bytes). */
export function bundleDigest(files: readonly BundleFile[], sha256: Sha256Hex): BundleDigest {
  const text = bundleDigestText(files);
  const digest = sha256(text);
  if (!isSha256Hex(digest)) throw new DomainError('invalid-input', 'the sha256 function must return 64 lowercase hex digits');
  return { sha256: digest, sizeBytes: files.reduce((sum, f) => sum + f.bytes, 0) };
}

/**
 * The first way `actual` differs from `expected` (a file missing, extra, or with another size or digest), naming the
 * file; undefined when they are the same.
 */
export function firstMismatch(actual: readonly BundleFile[], expected: readonly BundleFile[]): string | undefined {
  const want = new Map(expected.map((f) => [f.name, f]));
  for (const file of actual) {
    const w = want.get(file.name);
    if (!w) return `file '${file.name}' is not expected`;
    if (w.bytes !== file.bytes) return `file '${file.name}' has ${file.bytes} bytes, not ${w.bytes}`;
    if (w.sha256.toLowerCase() !== file.sha256) return `file '${file.name}' has sha256 ${file.sha256}, not ${w.sha256}`;
    want.delete(file.name);
  }
  const missing = [...want.keys()][0];
  return missing === undefined ? undefined : `file '${missing}' is missing`;
}
