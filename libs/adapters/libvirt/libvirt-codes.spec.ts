import { HypervisorError } from '@reservoir/domain/ports/hypervisor.port';
import { domainState, lifecycleEvent, snapshotState, toHypervisorError, VirErr } from './libvirt-codes';

/** How libvirt's numbers become the port's states, events and errors. */

const nativeError = (code: number, domain = 10, errno = -1) => Object.assign(new Error(`libvirt says ${code}`), { code, domain, errno });

describe('toHypervisorError', () => {
  it.each([
    [VirErr.NO_DOMAIN, 'not-found', false],
    [VirErr.NO_DOMAIN_SNAPSHOT, 'not-found', false],
    [VirErr.DOM_EXIST, 'already-exists', false],
    [VirErr.OPERATION_INVALID, 'invalid-state', false],
    [VirErr.OPERATION_TIMEOUT, 'invalid-state', true],
    [VirErr.RESOURCE_BUSY, 'invalid-state', true],
    [VirErr.NO_SUPPORT, 'unsupported', false],
    [VirErr.ARGUMENT_UNSUPPORTED, 'unsupported', false],
    [VirErr.XML_ERROR, 'invalid-argument', false],
    [VirErr.INVALID_CONN, 'host-down', true],
    [1 /* INTERNAL_ERROR */, 'operation-failed', false],
  ])('maps libvirt error %i to %s (retryable %s)', (code, expected, retryable) => {
    const error = toHypervisorError(nativeError(code), 'start', 'web-1');
    expect(error).toMatchObject({ code: expected, retryable });
    expect(error.message).toBe(`start web-1: libvirt says ${code}`);
  });

  it('treats any error of the client transport (RPC, remote) as host-down', () => {
    expect(toHypervisorError(nativeError(VirErr.SYSTEM_ERROR, 7, 104), 'list', 'h').code).toBe('host-down');
    expect(toHypervisorError(nativeError(1, 13), 'list', 'h').code).toBe('host-down');
  });

  it('reads a missing file as not-found, except while connecting (a missing socket: host-down)', () => {
    expect(toHypervisorError(nativeError(VirErr.SYSTEM_ERROR, 12, 2), 'restore', '/x.save').code).toBe('not-found');
    expect(toHypervisorError(nativeError(VirErr.SYSTEM_ERROR, 12, 13), 'save', '/x.save').code).toBe('operation-failed');
    expect(toHypervisorError(nativeError(VirErr.SYSTEM_ERROR, 0, 2), 'connect', 'qemu:///x').code).toBe('host-down');
    expect(toHypervisorError(nativeError(VirErr.NO_CONNECT, 0), 'connect', 'bogus:///').code).toBe('invalid-argument');
    expect(toHypervisorError(nativeError(VirErr.SYSTEM_ERROR, 7, 111), 'connect', 'qemu+tcp://h/system').code).toBe('host-down');
  });

  it('keeps a HypervisorError and wraps anything else as operation-failed', () => {
    const own = new HypervisorError('not-found', 'x');
    expect(toHypervisorError(own, 'info', 'x')).toBe(own);
    expect(toHypervisorError(new TypeError('bad argument'), 'info', 'x').code).toBe('operation-failed');
  });
});

describe('domainState', () => {
  it('maps virDomainState, with shutoff after a crash or failure as crashed', () => {
    expect([0, 1, 2, 3, 4, 6, 7].map((s) => domainState(s, 0))).toEqual(['unknown', 'running', 'blocked', 'paused', 'shutting-down', 'crashed', 'pm-suspended']);
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((reason) => domainState(5, reason)))
      .toEqual(['shutoff', 'shutoff', 'shutoff', 'crashed', 'shutoff', 'shutoff', 'crashed', 'shutoff']);
    expect(['running', 'paused', 'shutoff', 'shutdown', 'nostate'].map(snapshotState)).toEqual(['running', 'paused', 'shutoff', 'shutting-down', 'unknown']);
  });
});

describe('lifecycleEvent', () => {
  const ev = (event: number, detail: number) => lifecycleEvent('d', 'u', event, detail);
  it('maps the lifecycle events the port names, with reasons', () => {
    expect(ev(0, 0)).toEqual({ domain: 'd', uuid: 'u', type: 'defined' });
    expect(ev(1, 0)).toEqual({ domain: 'd', uuid: 'u', type: 'undefined' });
    expect(ev(2, 1)).toMatchObject({ type: 'started', reason: 'migrated' });
    expect(ev(2, 2)).toMatchObject({ type: 'started', reason: 'restored' });
    expect(ev(3, 0)).toMatchObject({ type: 'paused', reason: 'api' });
    expect(ev(4, 0)).toMatchObject({ type: 'resumed', reason: 'api' });
    expect(ev(5, 0)).toMatchObject({ type: 'stopped', reason: 'shutdown' });
    expect(ev(5, 1)).toMatchObject({ type: 'stopped', reason: 'destroyed' });
    expect(ev(5, 4)).toMatchObject({ type: 'stopped', reason: 'saved' });
  });
  it('reports a QEMU crash or failure as crashed, a guest panic too, and leaving by migration as migrated', () => {
    expect(ev(5, 2)).toMatchObject({ type: 'crashed', reason: 'failed' });
    expect(ev(5, 5)).toMatchObject({ type: 'crashed', reason: 'failed' });
    expect(ev(8, 0)).toMatchObject({ type: 'crashed', reason: 'guest-panic' });
    expect(ev(5, 3)).toMatchObject({ type: 'migrated', reason: 'migrated' });
  });
  it('drops events the port has no word for (configuration updates, shutdown requests, PM suspend)', () => {
    expect([ev(0, 1), ev(0, 3), ev(6, 0), ev(7, 0)]).toEqual([undefined, undefined, undefined, undefined]);
  });
});
