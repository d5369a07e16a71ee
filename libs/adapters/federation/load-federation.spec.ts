import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@reservoir/config';
import { loadFederationSettings } from './load-federation';
import { TestFederation } from './test-federation';

describe('loadFederationSettings', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rsv-load-'));
  const fed = new TestFederation(['site-a', 'site-b']);
  const files = fed.writeFiles(dir);
  const env = (site: string, keyFile: string, federationFile = files.federationFile) =>
    loadConfig({ RESERVOIR_SITE_ID: site, RESERVOIR_SITE_KEY_FILE: keyFile, RESERVOIR_FEDERATION_FILE: federationFile, RESERVOIR_CLOCK_WINDOW_MS: '60000' });

  it('is undefined for a broker that runs alone', () => {
    expect(loadFederationSettings(loadConfig({}))).toBeUndefined();
  });

  it("gives the site's signer, the federation and every site's key", () => {
    const settings = loadFederationSettings(env('site-a', files.keyFiles['site-a'] as string));
    expect(settings?.siteId).toBe('site-a');
    expect(settings?.signer.publicKey).toBe(fed.signer('site-a').publicKey);
    expect(settings?.federation).toEqual(fed.federation);
    expect([...(settings?.peers ?? new Map()).keys()]).toEqual(['site-a', 'site-b']);
    expect(settings?.clockWindowMs).toBe(60000);
  });

  it('refuses a site missing from the federation file and a key that is not the listed one', () => {
    expect(() => loadFederationSettings(env('site-c', files.keyFiles['site-a'] as string))).toThrow(
      /RESERVOIR_FEDERATION_FILE=.*: this site 'site-c' \(RESERVOIR_SITE_ID\) is not listed/,
    );
    expect(() => loadFederationSettings(env('site-b', files.keyFiles['site-a'] as string))).toThrow(
      /RESERVOIR_SITE_KEY_FILE=.*site-a\.key: its public key .* is not the one RESERVOIR_FEDERATION_FILE lists for site 'site-b'/,
    );
  });

  it('passes on file errors naming their variable', () => {
    const loose = join(dir, 'loose.key');
    writeFileSync(loose, fed.signer('site-a').privateKeyPem());
    chmodSync(loose, 0o666);
    expect(() => loadFederationSettings(env('site-a', loose))).toThrow(/RESERVOIR_SITE_KEY_FILE=.*loose\.key: is accessible to every user/);
    expect(() => loadFederationSettings(env('site-a', files.keyFiles['site-a'] as string, join(dir, 'none.json')))).toThrow(/RESERVOIR_FEDERATION_FILE=.*none\.json: no such file/);
  });
});
