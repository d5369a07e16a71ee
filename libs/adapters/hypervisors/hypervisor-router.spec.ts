import { HypervisorError, type HypervisorConnection, type HypervisorFactory } from '@reservoir/domain/ports/hypervisor.port';
import { HypervisorRouter } from './hypervisor-router';

const factory = (label: string): HypervisorFactory & { uris: string[] } => {
  const uris: string[] = [];
  return { uris, connect: async (uri) => (uris.push(uri), { uri: `${label}:${uri}` } as unknown as HypervisorConnection) };
};

describe('HypervisorRouter', () => {
  it('refuses libvirt URIs clearly when built without a libvirt factory, and still serves sim:// hosts', async () => {
    const sim = factory('sim');
    const router = new HypervisorRouter(sim);
    for (const uri of ['qemu:///system', 'test:///default', 'qemu+unix:///system?socket=/x']) {
      const error = await router.connect(uri).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(HypervisorError);
      expect(error).toMatchObject({ code: 'unsupported', message: expect.stringMatching(/needs the libvirt adapter.*sim:\/\//) });
    }
    expect((await router.connect('sim://h1')).uri).toBe('sim:sim://h1');
    expect(sim.uris).toEqual(['sim://h1']);
  });

  it('sends every non-sim URI to the libvirt factory when it has one', async () => {
    const sim = factory('sim');
    const libvirt = factory('libvirt');
    const router = new HypervisorRouter(sim, libvirt);
    expect((await router.connect('qemu:///system')).uri).toBe('libvirt:qemu:///system');
    expect((await router.connect('sim://h2')).uri).toBe('sim:sim://h2');
    expect(libvirt.uris).toEqual(['qemu:///system']);
  });
});
