import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@reservoir/config';
import { generateSiteKeyPair } from './ed25519';
import { readSiteKeyFile } from './key-files';

describe('readSiteKeyFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rsv-key-'));
  const write = (name: string, text: string, mode = 0o600) => {
    const path = join(dir, name);
    writeFileSync(path, text, { mode });
    chmodSync(path, mode);
    return path;
  };

  it('reads a PEM PKCS#8 Ed25519 key', () => {
    const pair = generateSiteKeyPair();
    expect(readSiteKeyFile(write('ok.key', pair.privateKeyPem)).publicKey).toBe(pair.publicKey);
    expect(readSiteKeyFile(write('group.key', pair.privateKeyPem, 0o640)).publicKey).toBe(pair.publicKey);
  });

  it.each([
    ['a missing file', () => join(dir, 'absent.key'), /RESERVOIR_SITE_KEY_FILE=.*absent\.key: no such file/],
    ['a directory', () => dir, /: is not a file/],
    ['a world-readable key', () => write('open.key', generateSiteKeyPair().privateKeyPem, 0o644), /is accessible to every user \(mode 0644\); chmod 600 it/],
    ['a garbled key', () => write('garbled.key', 'hello'), /is not a PEM private key/],
  ])('refuses %s with an error naming the variable', (_label, path, message) => {
    let error: unknown;
    try {
      readSiteKeyFile(path());
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([expect.stringMatching(message)]);
  });
});
