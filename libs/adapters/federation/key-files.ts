/**
 * This site's private key file (RESERVOIR_SITE_KEY_FILE): PEM PKCS#8 Ed25519, written by `reservoir keygen`
 * with mode 0600. A key file that any user of the machine may read or write is refused (group access is
 * allowed, for deployments that share secrets with a service group; Kubernetes mounts need `defaultMode: 0400`).
 */
import { readFileSync, statSync } from 'node:fs';
import { ConfigError } from '@reservoir/config';
import { Ed25519Signer, parsePrivateKeyPem } from './ed25519';

export const SITE_KEY_VARIABLE = 'RESERVOIR_SITE_KEY_FILE';

/** Reads and checks the key file; throws a ConfigError naming `variable` and saying what to do. */
export function readSiteKeyFile(path: string, variable: string = SITE_KEY_VARIABLE): Ed25519Signer {
  const fail = (problem: string): never => {
    throw new ConfigError([`${variable}=${path}: ${problem}`]);
  };
  let mode = 0;
  try {
    const info = statSync(path);
    if (!info.isFile()) fail('is not a file');
    mode = info.mode & 0o777;
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    fail(describeIoError(err));
  }
  if ((mode & 0o007) !== 0) {
    fail(`is accessible to every user (mode ${mode.toString(8).padStart(4, '0')}); chmod 600 it`);
  }
  let pem = '';
  try {
    pem = readFileSync(path, 'utf8');
  } catch (err) {
    fail(describeIoError(err));
  }
  try {
    return new Ed25519Signer(parsePrivateKeyPem(pem));
  } catch (err) {
    return fail(err instanceof Error ? err.message : String(err));
  }
}

export function describeIoError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  return err instanceof Error ? err.message : String(err);
}
