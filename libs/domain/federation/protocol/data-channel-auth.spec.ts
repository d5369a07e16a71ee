import fc from 'fast-check';
import { Ed25519Verifier } from '@reservoir/adapters/federation/ed25519';
import { MemorySeenMessages } from '@reservoir/adapters/federation/memory-seen-messages';
import { TestFederation } from '@reservoir/adapters/federation/test-federation';
import {
  authenticateDataRequest, canonicalDataRequest, checkContentDigest, checkDataRequest, DATA_HEADERS, type DataAuthContext, type DataRequest,
  signDataRequest,
} from './data-channel-auth';

const fed = new TestFederation(['site-a', 'site-b']);
const verifier = new Ed25519Verifier();
const DATE = '2026-03-02T10:00:00.000Z';
const SHA = 'a'.repeat(64);
const request: DataRequest = {
  method: 'PUT', path: '/v1/data/checkpoints/c1/files/memory.state?serviceId=s1', site: 'site-a', date: DATE, nonce: 'n0nce-0123456789abcdef', contentSha256: SHA,
};
const ctx = (overrides: Partial<DataAuthContext> = {}): DataAuthContext => ({
  peers: fed.peers, verifier, now: new Date(Date.parse(DATE) + 1000), clockWindowMs: 300_000, ...overrides,
});
const signed = (r: DataRequest = request, by = fed.signer(r.site)) => signDataRequest(r, by);
const reason = (method: string, path: string, headers: Record<string, string>, c = ctx()) => {
  const d = checkDataRequest(method, path, headers, c);
  return d.ok ? 'accepted' : d.reason;
};

describe('data channel authentication', () => {
  it('accepts a request signed by a federation member and hands back what it signed', () => {
    expect(checkDataRequest('put', request.path, signed(), ctx())).toEqual({ ok: true, request });
  });

  it('writes the canonical string as seven lines', () => {
    expect(canonicalDataRequest(request).split('\n')).toEqual(['RESERVOIR-DATA-1', 'PUT', request.path, 'site-a', DATE, request.nonce, SHA]);
  });

  it('refuses a missing or malformed header, naming it', () => {
    const { [DATA_HEADERS.nonce]: _nonce, ...without } = signed();
    const d = checkDataRequest('PUT', request.path, without, ctx());
    expect(d).toMatchObject({ ok: false, reason: 'missing-header' });
    expect(!d.ok && d.detail).toContain(DATA_HEADERS.nonce);
    expect(reason('PUT', request.path, { ...signed(), [DATA_HEADERS.date]: 'yesterday' })).toBe('missing-header');
    expect(reason('PUT', request.path, { ...signed(), [DATA_HEADERS.contentSha256]: 'A'.repeat(64) })).toBe('missing-header');
  });

  it('refuses an unknown site, a forged signature and a tampered header', () => {
    const outsider = { ...request, site: 'site-x' };
    expect(reason('PUT', request.path, signed(outsider, TestFederation.signerFor('site-x')))).toBe('unknown-site');
    expect(reason('PUT', request.path, signed(request, fed.signer('site-b')))).toBe('bad-signature');
    expect(reason('PUT', request.path, { ...signed(), [DATA_HEADERS.contentSha256]: 'b'.repeat(64) })).toBe('bad-signature');
    expect(reason('PUT', request.path, { ...signed(), [DATA_HEADERS.site]: 'site-b' })).toBe('bad-signature');
    expect(reason('POST', request.path, signed())).toBe('bad-signature');
    expect(reason('PUT', '/v1/data/checkpoints/c2/files/memory.state?serviceId=s1', signed())).toBe('bad-signature');
  });

  it('refuses a date outside the clock window, either way', () => {
    expect(reason('PUT', request.path, signed(), ctx({ now: new Date(Date.parse(DATE) + 300_001) }))).toBe('outside-clock-window');
    expect(reason('PUT', request.path, signed(), ctx({ now: new Date(Date.parse(DATE) - 300_001) }))).toBe('outside-clock-window');
    expect(reason('PUT', request.path, signed(), ctx({ now: new Date(Date.parse(DATE) + 300_000) }))).toBe('accepted');
  });

  it('refuses a replayed nonce, but a forged request does not burn it', async () => {
    const seen = new MemorySeenMessages();
    const auth = (headers: Record<string, string>) => authenticateDataRequest('PUT', request.path, headers, { ...ctx(), seen });
    await expect(auth(signed(request, fed.signer('site-b')))).resolves.toMatchObject({ ok: false, reason: 'bad-signature' });
    await expect(auth(signed())).resolves.toMatchObject({ ok: true });
    await expect(auth(signed())).resolves.toMatchObject({ ok: false, reason: 'replay' });
    await expect(auth(signed({ ...request, nonce: 'another-nonce-0123456789' }))).resolves.toMatchObject({ ok: true });
  });

  it('refuses a body whose digest is not the signed one', () => {
    expect(checkContentDigest(request, SHA)).toBeUndefined();
    expect(checkContentDigest(request, 'b'.repeat(64))).toMatchObject({ ok: false, reason: 'content-mismatch' });
  });

  it('fails verification after any single change of the canonical inputs', () => {
    const hex = fc.stringMatching(/^[0-9a-f]{64}$/);
    const change = fc.oneof(
      fc.constantFrom('GET', 'POST', 'DELETE').map((method) => ({ method })),
      fc.stringMatching(/^\/[a-z0-9/._?=-]{1,40}$/).map((path) => ({ path })),
      fc.constant({ site: 'site-b' }),
      fc.integer({ min: 1, max: 200_000 }).map((ms) => ({ date: new Date(Date.parse(DATE) + ms).toISOString() })),
      fc.stringMatching(/^[A-Za-z0-9_-]{16,40}$/).map((nonce) => ({ nonce })),
      hex.map((contentSha256) => ({ contentSha256 })),
    );
    fc.assert(fc.property(change, (changed) => {
      const tampered = { ...request, ...changed };
      fc.pre(canonicalDataRequest(tampered) !== canonicalDataRequest(request));
      // The original signature presented with the changed inputs.
      const headers = { ...signDataRequest(tampered, fed.signer('site-a')), [DATA_HEADERS.signature]: signed()[DATA_HEADERS.signature] as string };
      const d = checkDataRequest(tampered.method, tampered.path, headers, ctx());
      return !d.ok && d.reason === 'bad-signature';
    }), { numRuns: 200 });
  });
});
