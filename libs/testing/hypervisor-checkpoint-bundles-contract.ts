import {
  HypervisorError, type CheckpointBundle, type DomainSpec, type DomainState, type HypervisorConnection,
} from '@reservoir/domain/ports/hypervisor.port';
import { rejectsWith, type HypervisorContractCapabilities, type HypervisorContractTarget } from './hypervisor-contract';

/**
 * The checkpoint-bundle part of the Hypervisor port contract (`DomainCheckpointBundles`), registered inside
 * {@link hypervisorContract} and runnable on its own against a target that cannot pass the whole contract (real
 * QEMU with the `counter` guest, which ignores a graceful shutdown).
 *
 * Guest state is checked with bounds, not equality, so a real guest whose state moves while it runs can take part:
 * a value read before `checkpointWrite` and one read after it bracket the checkpointed value; a restore that ends
 * running reads at least the first and less than the value the guest had advanced to; one that ends paused reads
 * inside the bracket. `advance` must move the state further than a restored guest moves while it is read.
 */

/** What the tests need from the surrounding suite; getters, since each test gets a fresh target and connection. */
export interface CheckpointContractContext {
  name: string;
  capabilities: Pick<HypervisorContractCapabilities, 'checkpointBundles' | 'failureInjection' | 'guestState'>;
  target(): HypervisorContractTarget;
  conn(): HypervisorConnection;
  spec(): DomainSpec;
}

const HEX64 = /^[0-9a-f]{64}$/;

/** Registers `describe('checkpoint bundles')` in the current describe block. */
export function checkpointBundleTests(ctx: CheckpointContractContext): void {
  const { capabilities } = ctx;
  const cb = capabilities.checkpointBundles;
  let dirs = 0;
  const conn = (): HypervisorConnection => ctx.conn();
  const running = async (s = ctx.spec()): Promise<string> => {
    await conn().define(s);
    await conn().start(s.name);
    return s.name;
  };
  const stateOf = async (domain: string): Promise<DomainState> => (await conn().info(domain)).state;
  const bundleDir = (domain: string): string => `${ctx.target().scratchDir}/${domain}-ckpt-${(dirs += 1)}`;
  const probe = () => ctx.target().guestState ?? fail('capabilities.guestState needs target.guestState');
  const guest = async (domain: string): Promise<number> => (capabilities.guestState ? probe().read(ctx.target().uri, domain) : 0);
  const advance = async (domain: string): Promise<void> => (capabilities.guestState ? probe().advance(ctx.target().uri, domain) : undefined);
  const files = () => ctx.target().checkpointFiles ?? fail('capabilities.checkpointBundles needs target.checkpointFiles');
  const itIf = (flag: boolean) =>
    flag
      ? it
      : (title: string, fn: () => Promise<void>) => {
          console.warn(`SKIPPED: ${ctx.name}: "checkpoint bundles ${title}" does not apply (${JSON.stringify(capabilities)})`);
          it.skip(title, fn);
        };

  /** A running domain moved on, checkpointed, with the guest-state bracket around the checkpoint. */
  const checkpointed = async () => {
    const s = ctx.spec();
    const domain = await running(s);
    await advance(domain);
    const dir = bundleDir(domain);
    const before = await guest(domain);
    const bundle = await conn().checkpointWrite(domain, dir);
    const after = await guest(domain);
    return { spec: s, domain, dir, bundle, before, after };
  };

  describe('checkpoint bundles', () => {
    itIf(!cb)('are refused with unsupported and the domain goes on running', async () => {
      const domain = await running();
      await rejectsWith(conn().checkpointWrite(domain, bundleDir(domain)), 'unsupported');
      expect(await stateOf(domain)).toBe('running');
    });

    itIf(cb)('writes a running domain, which goes on running, into sorted files whose digests measure agrees with', async () => {
      const { spec, domain, dir, bundle } = await checkpointed();
      expect(await stateOf(domain)).toBe('running');
      expectWellFormed(bundle, spec.disks.length + 1);
      expect(await conn().checkpointMeasure(dir)).toEqual(bundle.files);
      expect(await conn().snapshotList(domain)).toEqual([]);
    });

    itIf(cb)('restores the guest state, repeatedly from the same bundle, running or paused', async () => {
      const { domain, dir, bundle, before, after } = await checkpointed();
      const expected = bundle.files;
      for (let round = 0; round < 2; round += 1) {
        await advance(domain);
        const advanced = await guest(domain);
        await conn().checkpointRestore(domain, dir, { paused: false, expected });
        expect(await stateOf(domain)).toBe('running');
        const restored = await guest(domain);
        expect(restored).toBeGreaterThanOrEqual(before);
        if (capabilities.guestState) expect(restored).toBeLessThan(advanced);
      }
      await advance(domain);
      await conn().checkpointRestore(domain, dir, { paused: true, expected });
      expect(await stateOf(domain)).toBe('paused');
      const held = await guest(domain);
      expect(held).toBeGreaterThanOrEqual(before);
      expect(held).toBeLessThanOrEqual(after);
      expect(await conn().checkpointMeasure(dir)).toEqual(expected);
      await conn().resume(domain);
      expect(await stateOf(domain)).toBe('running');
    });

    itIf(cb)('keeps a paused domain paused (pausedMs 0); its bundle restores running', async () => {
      const domain = await running();
      await conn().pause(domain);
      const dir = bundleDir(domain);
      const bundle = await conn().checkpointWrite(domain, dir);
      expect(bundle.pausedMs).toBe(0);
      expect(await stateOf(domain)).toBe('paused');
      await conn().checkpointRestore(domain, dir, { paused: false, expected: bundle.files });
      expect(await stateOf(domain)).toBe('running');
    });

    itIf(cb)('refuses an existing dir (already-exists) and an inactive domain (invalid-state)', async () => {
      const { domain, dir } = await checkpointed();
      await rejectsWith(conn().checkpointWrite(domain, dir), 'already-exists');
      expect(await stateOf(domain)).toBe('running');
      const idle = ctx.spec();
      await conn().define(idle);
      await rejectsWith(conn().checkpointWrite(idle.name, bundleDir(idle.name)), 'invalid-state');
      expect(await stateOf(idle.name)).toBe('shutoff');
    });

    itIf(cb)('refuses to restore a bundle that differs from what is expected, changing nothing', async () => {
      const { domain, dir, bundle } = await checkpointed();
      const [first, second] = bundle.files.map((f) => f.name);
      if (first === undefined || second === undefined) throw new Error('a bundle has a memory file and a disk file at least');
      await advance(domain);
      const moved = await guest(domain);
      const other = bundleDir(domain);
      const otherBundle = await conn().checkpointWrite(domain, other);
      const refused = async (why: string, from: string, expected: CheckpointBundle['files']) => {
        const error = await rejectsWith(conn().checkpointRestore(domain, from, { paused: false, expected }), 'invalid-argument');
        expect(error.message).toContain(why);
        expect(await stateOf(domain)).toBe('running');
        expect(await guest(domain)).toBeGreaterThanOrEqual(moved);
      };
      await refused('extra.bin', dir, [...bundle.files, { name: 'extra.bin', bytes: 1, sha256: '0'.repeat(64) }]);
      await refused(second, dir, bundle.files.map((f) => (f.name === second ? { ...f, sha256: 'f'.repeat(64) } : f)));
      await refused(first, dir, bundle.files.map((f) => (f.name === first ? { ...f, bytes: f.bytes + 1 } : f)));
      await files().corrupt(ctx.target().uri, dir, first);
      await refused(first, dir, bundle.files);
      await files().remove(ctx.target().uri, other, second);
      await refused(second, other, otherBundle.files);
      expect((await conn().checkpointMeasure(other)).map((f) => f.name)).not.toContain(second);
    });

    itIf(cb)('removes a bundle; removing a missing one is fine', async () => {
      const { dir } = await checkpointed();
      await conn().checkpointRemove(dir);
      await rejectsWith(conn().checkpointMeasure(dir), 'not-found');
      await conn().checkpointRemove(dir);
    });

    itIf(cb)('leaves no snapshot behind: the domain undefines after checkpoints', async () => {
      const { domain, dir, bundle } = await checkpointed();
      await conn().checkpointRestore(domain, dir, { paused: false, expected: bundle.files });
      await conn().checkpointWrite(domain, bundleDir(domain));
      expect(await conn().snapshotList(domain)).toEqual([]);
      await conn().destroy(domain);
      await conn().undefine(domain);
      expect((await conn().list()).map((d) => d.name)).not.toContain(domain);
    });

    itIf(cb)('refuses a domain with a raw disk (unsupported), which goes on running', async () => {
      const s = ctx.spec();
      const domain = await running({ ...s, disks: s.disks.map((disk) => ({ ...disk, format: 'raw', baseImage: undefined })) });
      const dir = bundleDir(domain);
      await rejectsWith(conn().checkpointWrite(domain, dir), 'unsupported');
      expect(await stateOf(domain)).toBe('running');
      await rejectsWith(conn().checkpointMeasure(dir), 'not-found');
    });

    itIf(cb)('copies file by file into another dir, which measures the same and restores the guest state', async () => {
      const { domain, dir, bundle, before, after } = await checkpointed();
      const copy = bundleDir(domain);
      await copyBundle(conn(), dir, conn(), copy, bundle.files);
      expect(await conn().checkpointMeasure(copy)).toEqual(bundle.files);
      await advance(domain);
      await conn().checkpointRestore(domain, copy, { paused: true, expected: bundle.files });
      expect(await stateOf(domain)).toBe('paused');
      const held = await guest(domain);
      expect(held).toBeGreaterThanOrEqual(before);
      expect(held).toBeLessThanOrEqual(after);
      expect(await conn().checkpointMeasure(dir)).toEqual(bundle.files);
    });

    itIf(cb)('copies a bundle to another host (where the target has one), where the domain restores from it', async () => {
      const uri2 = ctx.target().uri2;
      if (uri2 === undefined) {
        console.warn(`NOT RUN: ${ctx.name}: "checkpoint bundles copies a bundle to another host": the target has no uri2`);
        return;
      }
      const { spec, dir, bundle, before, after } = await checkpointed();
      const other = await ctx.target().factory.connect(uri2);
      try {
        const copy = `${ctx.target().scratchDir}/copied-${(dirs += 1)}`;
        await copyBundle(conn(), dir, other, copy, bundle.files);
        expect(await other.checkpointMeasure(copy)).toEqual(bundle.files);
        await other.define(spec);
        await other.checkpointRestore(spec.name, copy, { paused: true, expected: bundle.files });
        expect((await other.info(spec.name)).state).toBe('paused');
        if (capabilities.guestState) {
          const held = await probe().read(uri2, spec.name);
          expect(held).toBeGreaterThanOrEqual(before);
          expect(held).toBeLessThanOrEqual(after);
        }
      } finally {
        await other.close();
      }
    });

    it('reads a missing dir or file as not-found', async () => {
      const dir = `${ctx.target().scratchDir}/absent-${(dirs += 1)}`;
      await rejectsWith(collect(conn().checkpointReadFile(dir, 'memory.save')), 'not-found');
      await conn().checkpointWriteFile(dir, 'one.bin', chunks('one'));
      await rejectsWith(collect(conn().checkpointReadFile(dir, 'two.bin')), 'not-found');
    });

    it('writes a file with its digest, refuses an existing one (already-exists) and keeps it', async () => {
      const dir = `${ctx.target().scratchDir}/files-${(dirs += 1)}`;
      const written = await conn().checkpointWriteFile(dir, 'a.bin', chunks('hello ', 'world'));
      expect(written).toEqual({ name: 'a.bin', bytes: 11, sha256: 'b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9' });
      await rejectsWith(conn().checkpointWriteFile(dir, 'a.bin', chunks('other')), 'already-exists');
      expect((await collect(conn().checkpointReadFile(dir, 'a.bin'))).toString('utf8')).toBe('hello world');
      expect(await conn().checkpointMeasure(dir)).toEqual([written]);
    });

    it('leaves no file behind when the source fails', async () => {
      const dir = `${ctx.target().scratchDir}/failing-${(dirs += 1)}`;
      await conn().checkpointWriteFile(dir, 'kept.bin', chunks('kept'));
      async function* failing(): AsyncGenerator<Uint8Array> {
        yield Buffer.from('partial');
        throw new Error('source broke');
      }
      await expect(conn().checkpointWriteFile(dir, 'broken.bin', failing())).rejects.toThrow();
      expect((await conn().checkpointMeasure(dir)).map((f) => f.name)).toEqual(['kept.bin']);
      await rejectsWith(collect(conn().checkpointReadFile(dir, 'broken.bin')), 'not-found');
    });

    itIf(cb && capabilities.failureInjection)('fails a refused checkpointWrite with the injected error and writes nothing', async () => {
      const domain = await running();
      const dir = bundleDir(domain);
      const faults = ctx.target().faults ?? fail('capabilities.failureInjection needs target.faults');
      await faults.refuseNext(ctx.target().uri, 'checkpointWrite', new HypervisorError('operation-failed', 'injected: disk full', { retryable: true }));
      await rejectsWith(conn().checkpointWrite(domain, dir), 'operation-failed');
      await rejectsWith(conn().checkpointMeasure(dir), 'not-found');
      expect(await stateOf(domain)).toBe('running');
    });
  });
}

/**
 * The checkpoint-bundle tests alone, with a fresh target and connection per test, for a target that cannot run the
 * whole {@link hypervisorContract}.
 */
export function checkpointBundleContract(
  name: string, capabilities: CheckpointContractContext['capabilities'], makeTarget: () => Promise<HypervisorContractTarget>,
): void {
  describe(`${name}: Hypervisor port contract (checkpoint bundles only)`, () => {
    let target: HypervisorContractTarget | undefined;
    let conn: HypervisorConnection | undefined;
    let serial = 0;
    beforeEach(async () => {
      target = await makeTarget();
      conn = await target.factory.connect(target.uri);
    });
    afterEach(async () => {
      await conn?.close();
      await target?.cleanup();
    });
    checkpointBundleTests({
      name,
      capabilities,
      target: () => target ?? fail('no target'),
      conn: () => conn ?? fail('no connection'),
      spec: () => {
        serial += 1;
        const t = target ?? fail('no target');
        const uuid = `c0ffee00-0000-4000-a000-${String(serial).padStart(12, '0')}`;
        return t.spec ? t.spec(`ckpt-contract-${serial}`, uuid) : fail('checkpointBundleContract needs target.spec');
      },
    });
  });
}

function expectWellFormed(bundle: CheckpointBundle, fileCount: number): void {
  const names = bundle.files.map((f) => f.name);
  expect(names).toEqual([...names].sort());
  expect(new Set(names).size).toBe(fileCount);
  for (const file of bundle.files) {
    expect(file.sha256).toMatch(HEX64);
    expect(Number.isInteger(file.bytes) && file.bytes > 0).toBe(true);
    expect(file.name).not.toContain('/');
  }
  expect(Number.isFinite(bundle.pausedMs) && bundle.pausedMs >= 0).toBe(true);
}

/** Copies each file of a bundle through the broker, as a copy to a second host or a shipment to a replica does. */
async function copyBundle(
  from: HypervisorConnection, dir: string, to: HypervisorConnection, copy: string, files: readonly CheckpointBundle['files'][number][],
): Promise<void> {
  for (const file of files) {
    const written = await to.checkpointWriteFile(copy, file.name, from.checkpointReadFile(dir, file.name));
    expect(written).toEqual(file);
  }
}

async function* chunks(...parts: string[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield Buffer.from(part);
}

async function collect(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of source) parts.push(Buffer.from(chunk));
  return Buffer.concat(parts);
}

function fail(message: string): never {
  throw new Error(message);
}
