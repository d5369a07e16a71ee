import { mergeManifestErrors } from './merge-errors';

describe('mergeManifestErrors', () => {
  it('keeps the first list whole and drops later errors at paths it already reported', () => {
    const domain = [
      { path: '/service/@name', line: 3, message: 'bad name' },
      { path: '/service/tier[1]', line: 4, message: 'missing <image>' },
      { path: '/service/tier[1]', line: 4, message: 'missing <tier-QoS>' },
    ];
    const xsd = [
      { path: '/service/tier[1]', line: 4, message: 'Missing child element(s).' },
      { path: '/service/tier[1]/image', line: 2, message: 'This element is not expected.' },
      { path: '/', line: 1, message: 'root problem' },
    ];
    expect(mergeManifestErrors([domain, xsd])).toEqual([
      { path: '/', line: 1, message: 'root problem' },
      { path: '/service/tier[1]/image', line: 2, message: 'This element is not expected.' },
      ...domain,
    ]);
  });

  it('drops exact repeats, never distinct problems at /, and puts errors without a line last', () => {
    const a = { path: '/', message: 'one' };
    const b = { path: '/', message: 'two' };
    const c = { path: '/x', line: 9, message: 'three' };
    expect(mergeManifestErrors([[a, a, c], [b, a]])).toEqual([c, a, b]);
  });
});
