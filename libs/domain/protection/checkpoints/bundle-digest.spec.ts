import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { bundleDigest, bundleDigestText, bundleProblems, type BundleFile } from './bundle-digest';

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');
const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const files: BundleFile[] = [
  { name: 'memory.state', bytes: 100, sha256: A },
  { name: 'disk-root.qcow2', bytes: 2048, sha256: B },
];

describe('bundle digest', () => {
  it('hashes the sorted lines `<name> <sha256> <bytes>` and sums the sizes', () => {
    expect(bundleDigestText(files)).toBe(`disk-root.qcow2 ${B} 2048\nmemory.state ${A} 100\n`);
    expect(bundleDigest(files, sha256)).toEqual({ sha256: sha256(`disk-root.qcow2 ${B} 2048\nmemory.state ${A} 100\n`), sizeBytes: 2148 });
  });

  it('does not depend on the order files are listed in, and changes with any file', () => {
    const name = fc.stringMatching(/^[a-z0-9-][a-z0-9.-]{0,11}$/);
    const file = fc.record({ name, bytes: fc.nat(), sha256: fc.stringMatching(/^[0-9a-f]{64}$/) });
    const bundle = fc.uniqueArray(file, { minLength: 1, maxLength: 6, selector: (f) => f.name });
    fc.assert(
      fc.property(bundle, fc.nat(), (list, i) => {
        const digest = bundleDigest(list, sha256);
        expect(bundleDigest([...list].reverse(), sha256)).toEqual(digest);
        const k = i % list.length;
        const changed = list.map((f, j) => (j === k ? { ...f, bytes: f.bytes + 1 } : f));
        expect(bundleDigest(changed, sha256).sha256).not.toBe(digest.sha256);
        expect(bundleDigest(list.filter((_, j) => j !== k).concat(list.length === 1 ? [{ ...list[0] as BundleFile, name: 'Other' }] : []), sha256).sha256).not.toBe(digest.sha256);
      }),
    );
  });

  it('refuses a list it cannot digest unambiguously, naming every problem', () => {
    expect(bundleProblems([])).toEqual([{ path: 'files', message: expect.stringContaining('at least one file') }]);
    const bad: BundleFile[] = [
      { name: 'has space', bytes: 1, sha256: A },
      { name: 'a/b', bytes: -1, sha256: A.toUpperCase() },
      { name: 'x', bytes: 1.5, sha256: A },
      { name: 'x', bytes: 1, sha256: A },
    ];
    expect(bundleProblems(bad).map((p) => p.path)).toEqual(['files[0].name', 'files[1].name', 'files[1].bytes', 'files[1].sha256', 'files[2].bytes', 'files[3].name']);
    expect(() => bundleDigest(bad, sha256)).toThrow(expect.objectContaining({ code: 'invalid-input' }));
    expect(() => bundleDigest(files, () => 'not hex')).toThrow(/64 lowercase hex/);
  });
});
