import { generateKeyPairSync } from 'node:crypto';
import { Ed25519Signer, Ed25519Verifier, generateSiteKeyPair, parsePrivateKeyPem, privateKeyFromSeed, publicKeyFromRaw, rawPublicKey } from './ed25519';

const bytes = new TextEncoder().encode('{"type":"Heartbeat"}');

describe('Ed25519 keys and signatures', () => {
  it('signs and verifies round trip with generated keys in the documented encodings', () => {
    const pair = generateSiteKeyPair();
    expect(pair.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n[\s\S]+\n-----END PRIVATE KEY-----\n$/);
    expect(pair.publicKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const signer = Ed25519Signer.fromPem(pair.privateKeyPem);
    expect(signer.publicKey).toBe(pair.publicKey);
    const sig = signer.sign(bytes);
    expect(sig).toMatch(/^[A-Za-z0-9_-]{86}$/);
    const verifier = new Ed25519Verifier();
    expect(verifier.verify(pair.publicKey, bytes, sig)).toBe(true);
    expect(verifier.verify(pair.publicKey, new TextEncoder().encode('{"type":"HeartbeaT"}'), sig)).toBe(false);
    expect(verifier.verify(generateSiteKeyPair().publicKey, bytes, sig)).toBe(false);
  });

  it('derives the same key from the same seed and exports it as PEM', () => {
    const seed = new Uint8Array(32).fill(7);
    const a = new Ed25519Signer(privateKeyFromSeed(seed));
    const b = Ed25519Signer.fromPem(a.privateKeyPem());
    expect(b.publicKey).toBe(a.publicKey);
    expect(a.sign(bytes)).toBe(b.sign(bytes));
    expect(() => privateKeyFromSeed(new Uint8Array(31))).toThrow(/32 bytes/);
  });

  it('answers false, never throws, for malformed keys and signatures', () => {
    const signer = new Ed25519Signer(privateKeyFromSeed(new Uint8Array(32).fill(1)));
    const sig = signer.sign(bytes);
    const verifier = new Ed25519Verifier();
    expect(verifier.verify('short', bytes, sig)).toBe(false);
    expect(verifier.verify(signer.publicKey, bytes, 'short')).toBe(false);
    expect(verifier.verify(signer.publicKey, bytes, `${sig}==`)).toBe(false);
    expect(verifier.verify(signer.publicKey, bytes, sig.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')))).toBe(false);
    // A respelling that decodes to the same 64 bytes (the last character's 4 unused bits set) is refused.
    const last = sig.charCodeAt(85);
    const respelled = sig.slice(0, 85) + String.fromCharCode(last + 1);
    expect(Buffer.from(respelled, 'base64url').equals(Buffer.from(sig, 'base64url'))).toBe(true);
    expect(verifier.verify(signer.publicKey, bytes, respelled)).toBe(false);
  });

  it('explains what is wrong with a private key', () => {
    expect(() => parsePrivateKeyPem('garbage')).toThrow(/not a PEM private key/);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    expect(() => parsePrivateKeyPem(rsa)).toThrow(/holds an rsa key; Reservoir site keys are Ed25519/);
  });

  it('converts public keys between the raw form and key objects', () => {
    const { publicKey } = generateKeyPairSync('ed25519');
    const raw = rawPublicKey(publicKey);
    expect(rawPublicKey(publicKeyFromRaw(raw))).toBe(raw);
    expect(() => publicKeyFromRaw('not-a-key')).toThrow(/43 characters/);
  });
});
