import { isCompatibleVersion, parseVersion } from './version';

describe('protocol versions', () => {
  it('parses MAJOR.MINOR', () => {
    expect(parseVersion('1.0')).toEqual({ major: 1, minor: 0 });
    expect(parseVersion('12.345')).toEqual({ major: 12, minor: 345 });
  });

  it.each(['1', '1.0.0', '01.0', '1.00', 'v1.0', '1.0 ', '', '-1.0', '1.x'])('refuses %j', (text) => {
    expect(parseVersion(text)).toBeUndefined();
  });

  it('refuses what is not a string', () => {
    expect(parseVersion(1.0)).toBeUndefined();
    expect(parseVersion(undefined)).toBeUndefined();
  });

  it('accepts every minor of its own major and nothing else', () => {
    expect(isCompatibleVersion('1.0', '1.0')).toBe(true);
    expect(isCompatibleVersion('1.7', '1.0')).toBe(true);
    expect(isCompatibleVersion('1.0', '1.3')).toBe(true);
    expect(isCompatibleVersion('2.0', '1.0')).toBe(false);
    expect(isCompatibleVersion('0.9', '1.0')).toBe(false);
    expect(isCompatibleVersion('one', '1.0')).toBe(false);
    expect(isCompatibleVersion('1.0')).toBe(true);
  });
});
