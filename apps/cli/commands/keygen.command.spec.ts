import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSiteKeyFile } from '@reservoir/adapters/federation/key-files';
import { parseFederation } from '@reservoir/adapters/federation/federation-file';
import { runCli } from '../main';
import { type Output } from '../output';

function capture(): Output & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return { lines, errors, log: (l) => lines.push(...l.split('\n')), err: (l) => errors.push(...l.split('\n')) };
}

describe('reservoir keygen', () => {
  it('writes a 0600 private key and the public key, and prints the federation entry as the last line', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'rsv-keygen-')), 'keys');
    const out = capture();
    await expect(runCli(['keygen', 'site-a', '--out', dir], out, {})).resolves.toBe(0);
    expect(statSync(join(dir, 'site.key')).mode & 0o777).toBe(0o600);
    const signer = readSiteKeyFile(join(dir, 'site.key'));
    expect(readFileSync(join(dir, 'site.pub'), 'utf8')).toBe(`${signer.publicKey}\n`);
    const entry = JSON.parse(out.lines[out.lines.length - 1] as string) as unknown;
    expect(entry).toEqual({ id: 'site-a', publicKey: signer.publicKey });
    expect(parseFederation({ sites: [entry] })).toMatchObject({ ok: true });
  });

  it('adds the endpoint when given one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rsv-keygen-'));
    const out = capture();
    await expect(runCli(['keygen', 'site-b', '--out', dir, '--endpoint', 'https://b.example.net:8080/'], out, {})).resolves.toBe(0);
    expect(JSON.parse(out.lines[out.lines.length - 1] as string)).toMatchObject({ id: 'site-b', endpoint: 'https://b.example.net:8080' });
  });

  it('never replaces an existing key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rsv-keygen-'));
    writeFileSync(join(dir, 'site.key'), 'precious');
    const out = capture();
    await expect(runCli(['keygen', 'site-a', '--out', dir], out, {})).resolves.toBe(1);
    expect(out.errors.join('\n')).toMatch(/site\.key already exists/);
    expect(readFileSync(join(dir, 'site.key'), 'utf8')).toBe('precious');
  });

  it.each([
    [['keygen', 'site-a'], /usage: reservoir keygen SITE_ID --out DIR/],
    [['keygen', '--out', '/tmp/x'], /usage: reservoir keygen/],
    [['keygen', 'Site_A', '--out', '/tmp/x'], /SITE_ID "Site_A" must be 1-63 of a-z/],
    [['keygen', 'site-a', '--out', '/tmp/x', '--endpoint', 'ftp://x'], /--endpoint "ftp:\/\/x" must be an http\(s\) URL/],
    [['keygen', 'site-a', '--out', '/tmp/x', '--force=yes'], /unknown option --force/],
  ])('is a usage error: %j', async (argv, message) => {
    const out = capture();
    await expect(runCli(argv, out, {})).resolves.toBe(2);
    expect(out.errors.join('\n')).toMatch(message);
  });
});
