import fc from 'fast-check';
import { CanonicalEncodingError, canonicalEnvelopeBytes, canonicalEnvelopeText, canonicalJson } from './canonical';

describe('canonicalJson', () => {
  it('sorts keys at every depth and writes no whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: true, y: null }], c: 'x' } })).toBe('{"a":{"c":"x","d":[3,{"y":null,"z":true}]},"b":1}');
  });

  it('gives the same text whatever order the members were written in', () => {
    expect(canonicalJson({ to: 'b', from: 'a', body: { y: 2, x: 1 } })).toBe(canonicalJson({ body: { x: 1, y: 2 }, from: 'a', to: 'b' }));
  });

  it('matches the RFC 8785 example (numbers, escapes, literals)', () => {
    const input = JSON.parse(
      '{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],' +
        '"string":"\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/","literals":[null,true,false]}',
    ) as unknown;
    expect(canonicalJson(input)).toBe(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
  });

  it('sorts keys by UTF-16 code units (RFC 8785 section 3.2.3)', () => {
    const input = { '\u20ac': 'Euro Sign', '\r': 'Carriage Return', '\ufb33': 'Hebrew Letter Dalet With Dagesh', '1': 'One',
      '\ud83d\ude00': 'Emoji: Grinning Face', '\u0080': 'Control', '\u00f6': 'Latin Small Letter O With Diaeresis' };
    const sorted = ['\r', '1', '\u0080', '\u00f6', '\u20ac', '\ud83d\ude00', '\ufb33'];
    const expected = `{${sorted.map((k) => `${JSON.stringify(k)}:${JSON.stringify(input[k as keyof typeof input])}`).join(',')}}`;
    expect(canonicalJson(input)).toBe(expected);
  });

  it('writes -0 as 0 and leaves out undefined members', () => {
    expect(canonicalJson({ a: -0, b: undefined, c: [0.1, 1e21] })).toBe('{"a":0,"c":[0.1,1e+21]}');
  });

  it.each([
    ['NaN', { a: Number.NaN }, '/a'],
    ['Infinity', { a: [1, Number.POSITIVE_INFINITY] }, '/a/1'],
    ['undefined in an array', { a: [undefined] }, '/a/0'],
    ['a bigint', { a: { b: 1n } }, '/a/b'],
    ['a Date', { at: new Date(0) }, '/at'],
    ['a function', { f: () => 1 }, '/f'],
    ['a key with a slash', { 'x/y': Number.NaN }, '/x~1y'],
  ])('refuses %s', (_label, value, path) => {
    expect(() => canonicalJson(value)).toThrow(CanonicalEncodingError);
    try {
      canonicalJson(value);
    } catch (err) {
      expect((err as CanonicalEncodingError).path).toBe(path);
    }
  });

  it('round-trips any JSON value: parsing the canonical text gives the value back, and encoding is idempotent', () => {
    fc.assert(
      fc.property(fc.jsonValue({ noUnicodeString: false }), (value) => {
        const text = canonicalJson(value);
        expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(value)));
        expect(canonicalJson(JSON.parse(text))).toBe(text);
      }),
    );
  });
});

describe('canonicalEnvelopeText', () => {
  it('covers every member but sig, known or not, and is UTF-8 in bytes', () => {
    const envelope = { v: '1.1', sig: 'x', type: 'Heartbeat', future: { ü: 1 } };
    expect(canonicalEnvelopeText(envelope)).toBe('{"future":{"ü":1},"type":"Heartbeat","v":"1.1"}');
    expect(Buffer.from(canonicalEnvelopeBytes(envelope)).toString('utf8')).toBe(canonicalEnvelopeText(envelope));
    expect(canonicalEnvelopeBytes(envelope).length).toBe(canonicalEnvelopeText(envelope).length + 1);
  });
});
