import { isHypervisorError } from '@reservoir/domain/ports/hypervisor.port';
import { formatSimUri, parseSimUri, simHostName } from './sim-uri';

describe('sim URIs', () => {
  it('parses a full declaration and formats it back canonically', () => {
    const parsed = parseSimUri('sim://h-1.rack_a?failure-domain=rack1&disk-gib=200&memory-mib=16384&vcpu=8');
    expect(parsed).toEqual({ name: 'h-1.rack_a', params: { name: 'h-1.rack_a', vcpu: 8, memoryMiB: 16384, diskGiB: 200, failureDomain: 'rack1' } });
    expect(formatSimUri(parsed.params!)).toBe('sim://h-1.rack_a?vcpu=8&memory-mib=16384&disk-gib=200&failure-domain=rack1');
  });

  it('takes a bare name (a host declared earlier), with or without a trailing slash', () => {
    expect(parseSimUri('sim://h1')).toEqual({ name: 'h1' });
    expect(parseSimUri('sim://h1/')).toEqual({ name: 'h1' });
    expect(parseSimUri('sim://h1?vcpu=1&memory-mib=16&disk-gib=1').params).not.toHaveProperty('failureDomain');
  });

  it('reports every problem of a bad URI in one invalid-argument error', () => {
    const error = catchError(() => parseSimUri('sim://-h?vcpu=0&memory-mib=lots&colour=red&failure-domain=a%20b'));
    expect(isHypervisorError(error, 'invalid-argument')).toBe(true);
    const message = (error as Error).message;
    for (const part of [/host name '-h'/, /vcpu must be an integer from 1 to 4096, got '0'/, /memory-mib .* got 'lots'/, /unknown parameter 'colour'/,
      /missing parameter 'disk-gib'/, /failure-domain 'a b'/]) {
      expect(message).toMatch(part);
    }
  });

  it.each([
    ['another scheme', 'qemu:///system'],
    ['a path', 'sim://h1/extra?vcpu=1'],
    ['an empty name', 'sim://?vcpu=1&memory-mib=16&disk-gib=1'],
    ['a repeated parameter', 'sim://h1?vcpu=1&vcpu=2&memory-mib=16&disk-gib=1'],
    ['a fraction', 'sim://h1?vcpu=1.5&memory-mib=16&disk-gib=1'],
    ['too little memory', 'sim://h1?vcpu=1&memory-mib=8&disk-gib=1'],
  ])('refuses %s', (_label, uri) => {
    expect(isHypervisorError(catchError(() => parseSimUri(uri)), 'invalid-argument')).toBe(true);
  });

  it('names a host by URI or by bare name', () => {
    expect(simHostName('sim://h1?vcpu=1&memory-mib=16&disk-gib=1')).toBe('h1');
    expect(simHostName('h1')).toBe('h1');
  });
});

function catchError(f: () => unknown): unknown {
  try {
    f();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}
