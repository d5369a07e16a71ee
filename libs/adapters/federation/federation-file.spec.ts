import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@reservoir/config';
import { parseFederation, readFederationFile } from './federation-file';
import { generateSiteKeyPair } from './ed25519';

const keyA = generateSiteKeyPair().publicKey;
const keyB = generateSiteKeyPair().publicKey;

describe('the federation file', () => {
  it('reads every site, with an optional endpoint (trailing slash dropped)', () => {
    const parsed = parseFederation({ sites: [{ id: 'site-a', publicKey: keyA, endpoint: 'https://a.example.net:8080/' }, { id: 'site-b', publicKey: keyB }] });
    expect(parsed).toEqual({ ok: true, federation: { sites: [{ id: 'site-a', publicKey: keyA, endpoint: 'https://a.example.net:8080' }, { id: 'site-b', publicKey: keyB }] } });
  });

  it('reports every problem at once, each with its JSON Pointer', () => {
    const parsed = parseFederation({
      sites: [
        { id: 'Site A', publicKey: keyA },
        { id: 'site-b', publicKey: 'abc', endpoint: 'ftp://b' },
        { id: 'site-c', publicKey: keyA, publickey: keyB },
        { id: 'site-b', publicKey: keyB },
        'site-d',
      ],
      version: 2,
    });
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? [] : parsed.problems).toEqual([
      '/version: unknown member (only "sites")',
      '/sites/0/id: "Site A" is not a site id (1-63 of a-z, 0-9 and -, starting with a letter)',
      '/sites/1/publicKey: must be base64url of a raw 32-byte Ed25519 public key, 43 characters (reservoir keygen prints it)',
      '/sites/1/endpoint: "ftp://b" is not an http(s) URL',
      '/sites/2/publickey: unknown member (only id, publicKey, endpoint)',
      '/sites/4: must be an object {"id","publicKey","endpoint"?}',
      '/sites/3/id: same as /sites/1/id; every site needs its own',
      '/sites/2/publicKey: same as /sites/0/publicKey; every site needs its own',
    ]);
  });

  it('refuses a file without sites', () => {
    expect(parseFederation([])).toEqual({ ok: false, problems: ['/: must be an object {"sites":[...]}'] });
    expect(parseFederation({ sites: [] })).toEqual({ ok: false, problems: ['/sites: must be a non-empty array of sites'] });
  });

  it('names the variable and the file in every error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rsv-fed-'));
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"sites": [');
    expect(() => readFederationFile(join(dir, 'none.json'))).toThrow(/RESERVOIR_FEDERATION_FILE=.*none\.json: no such file/);
    expect(() => readFederationFile(bad)).toThrow(ConfigError);
    expect(() => readFederationFile(bad)).toThrow(/RESERVOIR_FEDERATION_FILE=.*bad\.json: not JSON/);
    const wrong = join(dir, 'wrong.json');
    writeFileSync(wrong, JSON.stringify({ sites: [{ id: 'a', publicKey: 'x' }] }));
    expect(() => readFederationFile(wrong)).toThrow(/wrong\.json: \/sites\/0\/publicKey: must be base64url/);
    const good = join(dir, 'good.json');
    writeFileSync(good, JSON.stringify({ sites: [{ id: 'a', publicKey: keyA }] }));
    expect(readFederationFile(good)).toEqual({ sites: [{ id: 'a', publicKey: keyA }] });
  });
});
