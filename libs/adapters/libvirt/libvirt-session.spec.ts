import { isHypervisorError } from '@reservoir/domain/ports/hypervisor.port';
import { LibvirtHypervisorFactory } from './libvirt-hypervisor.factory';
import { type LibvirtNative, type NativeDomain, type NativeHandle } from './native-binding';

/**
 * Reconnection after host-down, against a scripted fake addon (strict: any call the test did not expect throws).
 * The real addon's behaviour is covered by the contract suite on test:///default.
 */

const transportError = () => Object.assign(new Error('Cannot recv data: Connection reset by peer'), { code: 38, domain: 7, errno: 104 });
const domain: NativeDomain = { name: 'web', uuid: 'u-1', state: 1, reason: 1, vcpu: 1, memoryKiB: 65536, maxMemoryKiB: 65536, cpuTimeNs: 5 };

function fakeNative() {
  let opened = 0;
  let daemonUp = true;
  const closed: number[] = [];
  const handle = (n: number) => ({ n }) as unknown as NativeHandle;
  const num = (h: NativeHandle) => (h as unknown as { n: number }).n;
  let emit: ((name: string, uuid: string, event: number, detail: number) => void) | undefined;
  const implemented: Partial<LibvirtNative> = {
    open: async () => {
      if (!daemonUp) throw Object.assign(new Error("Failed to connect socket to '/run/x': No such file or directory"), { code: 38, domain: 7, errno: 2 });
      return handle(++opened);
    },
    connInfo: async () => ['qemu:///system', 'QEMU'],
    subscribe: (_h, callback) => {
      emit = callback;
    },
    close: (h) => void closed.push(num(h)),
    alive: () => daemonUp,
    info: async () => {
      if (!daemonUp) throw transportError();
      return [domain];
    },
  };
  const native = new Proxy(implemented, {
    get: (target, key: string) => target[key as keyof LibvirtNative] ?? (() => { throw new Error(`unexpected call ${key}`); }),
  }) as LibvirtNative;
  return {
    native,
    closed,
    opened: () => opened,
    emit: (...args: [string, string, number, number]) => emit?.(...args),
    setDaemonUp: (up: boolean) => { daemonUp = up; },
  };
}

describe('LibvirtConnection over a daemon that goes away', () => {
  it('fails with retryable host-down while the daemon is gone and reconnects on the next call once it is back', async () => {
    const fake = fakeNative();
    const conn = await new LibvirtHypervisorFactory({ native: fake.native }).connect('qemu:///system');
    const events: string[] = [];
    conn.onLifecycleEvent((e) => events.push(`${e.domain}:${e.type}`));
    expect((await conn.info('web')).state).toBe('running');

    fake.setDaemonUp(false);
    const lost = await conn.info('web').catch((e: unknown) => e);
    expect(isHypervisorError(lost, 'host-down') && lost.retryable).toBe(true);
    expect(fake.closed).toEqual([1]);
    const stillDown = await conn.info('web').catch((e: unknown) => e);
    expect(isHypervisorError(stillDown, 'host-down')).toBe(true);

    fake.setDaemonUp(true);
    expect((await conn.info('web')).name).toBe('web');
    expect(fake.opened()).toBe(2);
    fake.emit('web', 'u-1', 5, 2); // the new handle's events reach the old listeners
    expect(events).toEqual(['web:crashed']);

    await conn.close();
    expect(fake.closed).toEqual([1, 2]);
    expect(isHypervisorError(await conn.info('web').catch((e: unknown) => e), 'invalid-state')).toBe(true);
  });

  it('refuses a URI that is not libvirt\'s with invalid-argument and an unreachable daemon with host-down', async () => {
    const fake = fakeNative();
    const factory = new LibvirtHypervisorFactory({ native: fake.native });
    expect(isHypervisorError(await factory.connect('sim://h1').catch((e: unknown) => e), 'invalid-argument')).toBe(true);
    fake.setDaemonUp(false);
    const down = await factory.connect('qemu:///system').catch((e: unknown) => e);
    expect(isHypervisorError(down, 'host-down') && down.retryable).toBe(true);
  });
});
