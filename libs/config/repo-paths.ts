import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Finds a file shipped with Reservoir (schemas, examples) by walking up from `from` until `relative` exists.
 * Works from TypeScript sources (jest, ts-node) and from the compiled tree under dist/ alike.
 */
export function findShippedFile(relative: string, from: string = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, relative);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) throw new Error(`cannot find ${relative} above ${from}`);
  }
}
