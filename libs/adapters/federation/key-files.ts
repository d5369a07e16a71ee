/**
 * This site's private key file (RESERVOIR_SITE_KEY_FILE): PEM PKCS#8 Ed25519, written by `reservoir keygen`
 * with mode 0600. A key file that any user of the machine may read or write is refused (group access is
 * allowed, for deployments that share secrets with a service group; Kubernetes mounts need `defaultMode: 0400`).
 */
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '@reservoir/config';
import { Ed25519Signer, generateSiteKeyPair, parsePrivateKeyPem } from './ed25519';

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

/**
 * A new key pair in DIR: `site.key` (PEM PKCS#8, mode 0600) and `site.pub` (base64url). Never replaces a key: an
 * existing file makes it throw (EEXIST). Answers the paths and the public key.
 */
export function writeSiteKeyPair(dir: string): { keyPath: string; pubPath: string; publicKey: string } {
  const keyPath = join(dir, 'site.key');
  const pubPath = join(dir, 'site.pub');
  const pair = generateSiteKeyPair();
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(keyPath, pair.privateKeyPem, { mode: 0o600, flag: 'wx' });
  writeFileSync(pubPath, `${pair.publicKey}\n`, { mode: 0o644, flag: 'wx' });
  return { keyPath, pubPath, publicKey: pair.publicKey };
}

export function describeIoError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  return err instanceof Error ? err.message : String(err);
}
