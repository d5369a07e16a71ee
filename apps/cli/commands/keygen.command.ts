import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { writeSiteKeyPair } from '@reservoir/adapters/federation/key-files';
import { SITE_ID_PATTERN } from '@reservoir/domain/federation/protocol/federation';
import { type ParsedArgs, optionString, rejectUnknown, UsageError } from '../args';
import { type Output } from '../output';

const USAGE = 'usage: reservoir keygen SITE_ID --out DIR [--endpoint URL]';

/**
 * `reservoir keygen SITE_ID --out DIR [--endpoint URL]`: a new Ed25519 key pair for a site. Writes DIR/site.key
 * (PEM PKCS#8, mode 0600: RESERVOIR_SITE_KEY_FILE) and DIR/site.pub (the public key, base64url of the raw 32
 * bytes), never over an existing key, and prints the site's entry for RESERVOIR_FEDERATION_FILE as the last line.
 */
export async function keygenCommand(args: ParsedArgs, out: Output): Promise<number> {
  rejectUnknown(args, ['out', 'endpoint']);
  const [siteId, ...extra] = args.positionals;
  const dir = optionString(args, 'out');
  if (siteId === undefined || extra.length > 0 || dir === undefined) throw new UsageError(USAGE);
  if (!SITE_ID_PATTERN.test(siteId)) throw new UsageError(`SITE_ID ${JSON.stringify(siteId)} must be 1-63 of a-z, 0-9 and -, starting with a letter`);
  const endpoint = optionString(args, 'endpoint');
  if (endpoint !== undefined && !/^https?:\/\/[^/\s]+/.test(endpoint)) throw new UsageError(`--endpoint ${JSON.stringify(endpoint)} must be an http(s) URL`);
  const keyPath = join(dir, 'site.key');
  const pubPath = join(dir, 'site.pub');
  for (const path of [keyPath, pubPath]) {
    if (existsSync(path)) {
      out.err(`${path} already exists: keygen never replaces a key (remove it first if you mean to)`);
      return 1;
    }
  }
  // Fails rather than overwrite a key written since the check above.
  const pair = writeSiteKeyPair(dir);
  out.log(`wrote ${keyPath} (Ed25519 private key, PEM PKCS#8, mode 0600): set RESERVOIR_SITE_KEY_FILE=${keyPath} on site '${siteId}'`);
  out.log(`wrote ${pubPath} (public key, base64url)`);
  out.log('add this entry to "sites" in the RESERVOIR_FEDERATION_FILE of every site:');
  out.log(JSON.stringify({ id: siteId, publicKey: pair.publicKey, ...(endpoint !== undefined ? { endpoint: endpoint.replace(/\/+$/, '') } : {}) }));
  return 0;
}
