/**
 * Size limits applied to a manifest before and while it is parsed. They bound the work a hostile upload can
 * cause: `maxBytes` is checked on the raw bytes before anything else, `maxDepth` by a cheap scan before the
 * XML parser runs and again by the tree builder.
 */
export interface ManifestLimits {
  /** Largest accepted manifest in bytes (UTF-8). A bigger one is refused with `tooLarge` (HTTP 413). */
  maxBytes: number;
  /** Deepest accepted element nesting; the root element is at depth 1. A valid manifest needs 4. */
  maxDepth: number;
}

/** 1 MiB and 32 levels: far above any real manifest (a 200-tier manifest is about 100 KiB, 4 levels deep). */
export const DEFAULT_MANIFEST_LIMITS: Readonly<ManifestLimits> = Object.freeze({ maxBytes: 1_048_576, maxDepth: 32 });

/** Fills in defaults; a missing or non-positive value falls back to the default. */
export function resolveManifestLimits(limits: Partial<ManifestLimits> = {}): ManifestLimits {
  return {
    maxBytes: positiveOr(limits.maxBytes, DEFAULT_MANIFEST_LIMITS.maxBytes),
    maxDepth: positiveOr(limits.maxDepth, DEFAULT_MANIFEST_LIMITS.maxDepth),
  };
}

function positiveOr(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isFinite(value) && value > 0 ? Math.floor(value) : fallback;
}
