import {
  HypervisorError, isHypervisorError, type DomainSpec, type DomainState, type HypervisorConnection, type HypervisorErrorCode,
  type HypervisorFactory, type HypervisorOperation, type LifecycleEvent, type LifecycleEventType,
} from '@reservoir/domain/ports/hypervisor.port';
import { checkpointBundleTests } from './hypervisor-checkpoint-bundles-contract';

/**
 * The Hypervisor port's contract (libs/domain/ports/hypervisor.port.ts) as one jest suite every adapter runs: the sim,
 * libvirt's `test:///default` (no migration) and libvirt with QEMU. Each test gets a fresh target and a single
 * connection, so targets whose state is private per connection (the test driver) work; other domains may exist.
 */

/** Failures the target can cause on purpose (the sim directly; libvirt by killing QEMU or the daemon). */
export interface HypervisorFaults {
  crashDomain(uri: string, name: string): Promise<void>;
  killHost(uri: string): Promise<void>;
  reviveHost(uri: string): Promise<void>;
  refuseNext(uri: string, operation: HypervisorOperation, error: HypervisorError): Promise<void>;
}

/**
 * Reads and moves a guest's observable state, so the suite can see reverts and restores roll it back. `advance`
 * moves it by more than a running guest moves on its own while the suite makes one call.
 */
export interface GuestStateProbe {
  read(uri: string, name: string): Promise<number>;
  advance(uri: string, name: string): Promise<void>;
}

/** Fixed per adapter, so that tests a target cannot run show as skipped instead of passing vacuously. */
export interface HypervisorContractCapabilities {
  /** Migrates between `uri` and `uri2`; without it `migrate` must reject with 'unsupported'. */
  migration: boolean;
  /** The target gives `faults` and `guestState` respectively. */
  failureInjection: boolean;
  guestState: boolean;
  /** Writes and restores checkpoint bundles (the target gives `checkpointFiles`); without it `checkpointWrite` is 'unsupported'. */
  checkpointBundles: boolean;
}

/** Damages checkpoint bundle files on the host, so the suite can see a restore refuse them. */
export interface CheckpointFileFaults {
  /** Changes the content of `file` in the bundle at `dir`, so its digest differs. */
  corrupt(uri: string, dir: string, file: string): Promise<void>;
  /** Deletes `file` from the bundle at `dir`. */
  remove(uri: string, dir: string, file: string): Promise<void>;
}

export interface HypervisorContractTarget {
  factory: HypervisorFactory;
  uri: string;
  /** A second host, needed with `migration`. */
  uri2?: string;
  /** A folder on the host for save images. */
  scratchDir: string;
  faults?: HypervisorFaults;
  guestState?: GuestStateProbe;
  checkpointFiles?: CheckpointFileFaults;
  /** A spec the target can boot; the default is 1 vCPU, 64 MiB and one 1 GiB qcow2 disk. */
  spec?: (name: string, uuid: string) => DomainSpec;
  /** Longest wait for asynchronous changes (graceful shutdown, events); default 5000 ms. */
  settleMs?: number;
  cleanup(): Promise<void>;
}

const defaultSpec = (name: string, uuid: string): DomainSpec =>
  ({ name, uuid, vcpu: 1, memoryMiB: 64, disks: [{ name: 'root', sizeGiB: 1, format: 'qcow2' }], networks: [], boot: { kind: 'disk' }, properties: {} });

/** Resolves to the HypervisorError the promise rejects with, failing the test unless its code is `code`. */
export async function rejectsWith(promise: Promise<unknown>, code: HypervisorErrorCode): Promise<HypervisorError> {
  const outcome = await promise.then(() => 'resolved', (error: unknown) => error);
  if (!isHypervisorError(outcome)) throw new Error(`expected a HypervisorError '${code}', got ${outcome instanceof Error ? outcome.stack : String(outcome)}`);
  expect(`${outcome.code}: ${outcome.message}`).toMatch(new RegExp(`^${code}: `));
  return outcome;
}

/** Registers the contract suite for one adapter. */
export function hypervisorContract(name: string, capabilities: HypervisorContractCapabilities, makeTarget: () => Promise<HypervisorContractTarget>): void {
  describe(`${name}: Hypervisor port contract`, () => {
    let target: HypervisorContractTarget;
    let conn: HypervisorConnection;
    let events: LifecycleEvent[];
    let serial = 0;

    const spec = (): DomainSpec => {
      serial += 1;
      const uuid = `c0ffee00-0000-4000-8000-${String(serial).padStart(12, '0')}`;
      return (target.spec ?? defaultSpec)(`contract-${serial}`, uuid);
    };
    const defined = (s = spec()): Promise<string> => conn.define(s).then(() => s.name);
    const running = (): Promise<string> => defined().then((d) => conn.start(d).then(() => d));
    const stateOf = async (domain: string, c = conn): Promise<DomainState> => (await c.info(domain)).state;
    const settle = (what: () => string, check: () => Promise<boolean> | boolean) => waitFor(target.settleMs ?? 5000, what, check);
    const waitForState = (domain: string, state: DomainState) => settle(() => `'${domain}' to be ${state}`, async () => (await stateOf(domain)) === state);
    /** Waits until the domain's events contain `types` in this order (others may come in between). */
    const waitForEvents = (domain: string, types: LifecycleEventType[]) => {
      const mine = () => events.filter((e) => e.domain === domain).map((e) => e.type);
      return settle(() => `events ${types.join(', ')} of '${domain}', got ${mine().join(', ')}`, () => isSubsequence(types, mine()));
    };
    const faults = (): HypervisorFaults => target.faults ?? fail('capabilities.failureInjection needs target.faults');
    /** The guest's state where the target can show it, else 0; `advance` is a no-op then. */
    const guest = async (domain: string, uri = target.uri): Promise<number> => (capabilities.guestState ? probe().read(uri, domain) : 0);
    const advance = async (domain: string): Promise<void> => (capabilities.guestState ? probe().advance(target.uri, domain) : undefined);
    const probe = (): GuestStateProbe => target.guestState ?? fail('capabilities.guestState needs target.guestState');
    /** Registers a test the target can run; otherwise skips it and prints why (a skip never passes silently). */
    const itIf = (flag: boolean) =>
      flag
        ? it
        : (title: string, fn: () => Promise<void>) => {
            console.warn(`SKIPPED: ${name}: "${title}" does not apply (${JSON.stringify(capabilities)})`);
            it.skip(title, fn);
          };

    beforeEach(async () => {
      target = await makeTarget();
      conn = await target.factory.connect(target.uri);
      events = [];
      conn.onLifecycleEvent((event) => events.push(event));
    });
    afterEach(() => conn.close().then(() => target.cleanup()));

    it('reports a sane host capacity', async () => {
      const { vcpu, memoryMiB, diskGiB } = await conn.capacity();
      expect(Number.isInteger(vcpu) && vcpu > 0 && Number.isInteger(memoryMiB) && memoryMiB > 0).toBe(true);
      expect(Number.isFinite(diskGiB) && diskGiB >= 0).toBe(true);
    });

    it('says whether it enforces bandwidth, and why not when it does not', async () => {
      const { bandwidthQoS } = await conn.features();
      if (bandwidthQoS.enforced) expect(bandwidthQoS).toEqual({ enforced: true });
      else expect(bandwidthQoS.reason).toMatch(/\w/);
    });

    it('joins domains to isolated segments: created with the first domain, kept while one joins, gone with the last', async () => {
      const first = spec();
      const shared = `${first.name}-seg`;
      const own = `${first.name}-own`;
      const a = { ...first, networks: [{ name: 'internal', segment: shared, bandwidthMbps: 100 }] };
      const b = { ...spec(), networks: [{ name: 'internal', segment: shared }, { name: 'public', segment: own }] };
      const mine = async () => (await conn.segments()).filter((s) => s === shared || s === own).sort();
      expect(await mine()).toEqual([]);
      await conn.define(a);
      expect(await mine()).toEqual([shared]);
      await conn.define(b);
      expect(await mine()).toEqual([own, shared].sort());
      await conn.undefine(b.name);
      expect(await mine()).toEqual([shared]);
      await conn.undefine(a.name);
      expect(await mine()).toEqual([]);
      await rejectsWith(conn.define({ ...spec(), networks: [{ name: 'n', segment: "no spaces or 'quotes'" }] }), 'invalid-argument');
      expect(await mine()).toEqual([]);
    });

    it('defines several domains on one new segment at once (they race to create it)', async () => {
      const specs = [spec(), spec(), spec(), spec()];
      const segment = `${specs[0]?.name}-race`;
      await Promise.all(specs.map((s) => conn.define({ ...s, networks: [{ name: 'internal', segment }] })));
      expect(await conn.segments()).toContain(segment);
      for (const s of specs) await conn.undefine(s.name);
      expect(await conn.segments()).not.toContain(segment);
    });

    it('defines a domain shut off with its size, lists it and sends defined', async () => {
      const s = spec();
      await conn.define(s);
      expect(await conn.info(s.name)).toMatchObject({ name: s.name, uuid: s.uuid, state: 'shutoff', vcpu: s.vcpu, memoryMiB: s.memoryMiB });
      expect(await conn.list()).toContainEqual({ name: s.name, uuid: s.uuid, state: 'shutoff' });
      await waitForEvents(s.name, ['defined']);
    });

    it('walks the lifecycle: start, pause, resume, shutdown, start, destroy, undefine; CPU time never goes back', async () => {
      const domain = await running();
      expect(await stateOf(domain)).toBe('running');
      const cpu = (await conn.info(domain)).cpuTimeNs;
      expect(Number.isInteger(cpu) && cpu >= 0).toBe(true);
      await conn.pause(domain);
      expect(await stateOf(domain)).toBe('paused');
      await conn.resume(domain);
      expect(await conn.info(domain)).toMatchObject({ state: 'running', cpuTimeNs: expect.any(Number) });
      expect((await conn.info(domain)).cpuTimeNs).toBeGreaterThanOrEqual(cpu);
      await conn.shutdown(domain);
      await waitForState(domain, 'shutoff');
      await conn.start(domain);
      await conn.destroy(domain);
      expect(await stateOf(domain)).toBe('shutoff');
      await conn.undefine(domain);
      expect((await conn.list()).map((d) => d.name)).not.toContain(domain);
      await rejectsWith(conn.info(domain), 'not-found');
      await waitForEvents(domain, ['started', 'paused', 'resumed', 'stopped', 'started', 'stopped', 'undefined']);
    });

    it('refuses a taken name or uuid with already-exists and keeps the original', async () => {
      const original = spec();
      await conn.define(original);
      const other = spec();
      await rejectsWith(conn.define({ ...other, name: original.name, memoryMiB: original.memoryMiB * 2 }), 'already-exists');
      await rejectsWith(conn.define({ ...other, uuid: original.uuid }), 'already-exists');
      expect(await conn.info(original.name)).toMatchObject({ uuid: original.uuid, memoryMiB: original.memoryMiB });
      expect((await conn.list()).map((d) => d.name)).not.toContain(other.name);
    });

    it('answers not-found for an unknown domain, snapshot or save image', async () => {
      const ghost = 'contract-ghost';
      const calls: Call[] = [
        () => conn.info(ghost), () => conn.start(ghost), () => conn.shutdown(ghost), () => conn.destroy(ghost), () => conn.undefine(ghost),
        () => conn.pause(ghost), () => conn.resume(ghost), () => conn.snapshotCreate(ghost, 's'), () => conn.snapshotList(ghost),
        () => conn.save(ghost, `${target.scratchDir}/ghost.save`), () => conn.restore(`${target.scratchDir}/never-saved.save`),
      ];
      if (capabilities.migration) calls.push(() => conn.migrate(ghost, target.uri2 ?? target.uri, { live: true }));
      for (const call of calls) await rejectsWith(call(), 'not-found');
      const domain = await running();
      await rejectsWith(conn.snapshotRevert(domain, 'none'), 'not-found');
      await rejectsWith(conn.snapshotDelete(domain, 'none'), 'not-found');
    });

    it('refuses calls the state does not allow with a non-retryable invalid-state', async () => {
      const domain = await defined();
      const save = `${target.scratchDir}/${domain}.save`;
      const whenOff: Call[] = [() => conn.pause(domain), () => conn.resume(domain), () => conn.shutdown(domain), () => conn.destroy(domain), () => conn.save(domain, save)];
      for (const call of whenOff) expect((await rejectsWith(call(), 'invalid-state')).retryable).toBe(false);
      await conn.start(domain);
      for (const call of [() => conn.start(domain), () => conn.resume(domain), () => conn.undefine(domain)]) await rejectsWith(call(), 'invalid-state');
      expect(await stateOf(domain)).toBe('running');
    });

    it('stops delivering events to a listener that unsubscribed', async () => {
      const late: LifecycleEvent[] = [];
      conn.onLifecycleEvent((e) => late.push(e))();
      const domain = await running();
      await waitForEvents(domain, ['defined', 'started']);
      expect(late).toEqual([]);
    });

    it('creates, lists, reverts and deletes snapshots taken shut off, running and paused', async () => {
      const domain = await defined();
      await conn.snapshotCreate(domain, 'cold');
      await conn.start(domain);
      const before = await guest(domain);
      await conn.snapshotCreate(domain, 'warm');
      await rejectsWith(conn.snapshotCreate(domain, 'warm'), 'already-exists');
      await advance(domain);
      await conn.pause(domain);
      await conn.snapshotCreate(domain, 'held');
      const all = [{ name: 'cold', state: 'shutoff' }, { name: 'warm', state: 'running' }, { name: 'held', state: 'paused' }];
      expect(await conn.snapshotList(domain)).toEqual(all);
      await conn.snapshotRevert(domain, 'warm');
      expect(await stateOf(domain)).toBe('running');
      expect(await guest(domain)).toBe(before);
      await conn.snapshotRevert(domain, 'cold');
      expect(await stateOf(domain)).toBe('shutoff');
      await conn.snapshotDelete(domain, 'warm');
      expect((await conn.snapshotList(domain)).map((s) => s.name)).toEqual(['cold', 'held']);
      await rejectsWith(conn.snapshotDelete(domain, 'warm'), 'not-found');
      await waitForEvents(domain, ['started', 'paused', 'stopped']);
    });

    it('saves a running domain to a host file and restores it, guest state intact', async () => {
      const domain = await running();
      await advance(domain);
      const saved = await guest(domain);
      const path = `${target.scratchDir}/${domain}.save`;
      await conn.save(domain, path);
      expect(await stateOf(domain)).toBe('shutoff');
      expect(await conn.restore(path)).toBe(domain);
      expect(await stateOf(domain)).toBe('running');
      expect(await guest(domain)).toBe(saved);
      await rejectsWith(conn.restore(path), 'invalid-state');
      await waitForEvents(domain, ['started', 'stopped', 'started']);
    });

    itIf(capabilities.migration)('migrates a running domain to another host, which then owns it', async () => {
      const dest = await target.factory.connect(target.uri2 ?? fail('capabilities.migration needs target.uri2'));
      const domain = await running();
      await rejectsWith(conn.migrate(await defined(), dest.uri, { live: true }), 'invalid-state');
      await advance(domain);
      const moved = await guest(domain);
      await conn.migrate(domain, dest.uri, { live: true });
      expect(await stateOf(domain, dest)).toBe('running');
      await rejectsWith(conn.info(domain), 'not-found');
      expect(await guest(domain, dest.uri)).toBe(moved);
      await waitForEvents(domain, ['started', 'migrated']);
      await dest.close();
    });

    itIf(!capabilities.migration)('rejects migration with unsupported and leaves the domain running', async () => {
      const domain = await running();
      await rejectsWith(conn.migrate(domain, target.uri2 ?? target.uri, { live: true }), 'unsupported');
      expect(await stateOf(domain)).toBe('running');
    });

    itIf(capabilities.failureInjection)('reports a crashed domain as crashed, with an event, and starts it again', async () => {
      const domain = await running();
      await faults().crashDomain(target.uri, domain);
      await waitForState(domain, 'crashed');
      await waitForEvents(domain, ['started', 'crashed']);
      await conn.start(domain);
      expect(await stateOf(domain)).toBe('running');
    });

    itIf(capabilities.failureInjection)('fails every call on a dead host with retryable host-down; after revival its domains are crashed', async () => {
      const d = await running();
      const idle = await defined();
      await faults().killHost(target.uri);
      const path = `${target.scratchDir}/${d}.save`;
      const calls: Call[] = [
        () => conn.capacity(), () => conn.list(), () => conn.info(d), () => conn.define(spec()), () => conn.start(idle), () => conn.shutdown(d),
        () => conn.destroy(d), () => conn.undefine(idle), () => conn.pause(d), () => conn.resume(d), () => conn.snapshotCreate(d, 's'),
        () => conn.snapshotRevert(d, 's'), () => conn.snapshotDelete(d, 's'), () => conn.snapshotList(d), () => conn.save(d, path),
        () => conn.restore(path), () => conn.migrate(d, target.uri2 ?? target.uri, { live: true }), () => target.factory.connect(target.uri),
      ];
      for (const call of calls) expect((await rejectsWith(call(), 'host-down')).retryable).toBe(true);
      await faults().reviveHost(target.uri);
      expect(await stateOf(d)).toBe('crashed');
      expect(await stateOf(idle)).toBe('shutoff');
      await conn.start(d);
      expect(await stateOf(d)).toBe('running');
    });

    itIf(capabilities.failureInjection)('fails a refused operation with the injected error and changes nothing', async () => {
      const domain = await defined();
      await faults().refuseNext(target.uri, 'start', new HypervisorError('operation-failed', 'injected: QEMU would not start', { retryable: true }));
      expect((await rejectsWith(conn.start(domain), 'operation-failed')).retryable).toBe(true);
      expect(await stateOf(domain)).toBe('shutoff');
      const refused = spec();
      await faults().refuseNext(target.uri, 'define', new HypervisorError('insufficient-capacity', 'injected: disk full'));
      await rejectsWith(conn.define(refused), 'insufficient-capacity');
      expect((await conn.list()).map((x) => x.name)).not.toContain(refused.name);
      expect(events.filter((e) => e.domain === domain).map((e) => e.type)).toEqual(['defined']);
      await conn.start(domain);
      expect(await stateOf(domain)).toBe('running');
    });

    checkpointBundleTests({ name, capabilities, target: () => target, conn: () => conn, spec });
  });
}

type Call = () => Promise<unknown>;

/** Polls until `check` holds; real time, since real hypervisors change state on their own. */
async function waitFor(limitMs: number, what: () => string, check: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = performance.now() + limitMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function isSubsequence<T>(wanted: T[], seen: T[]): boolean {
  let i = 0;
  for (const item of seen) if (item === wanted[i]) i += 1;
  return i >= wanted.length;
}

function fail(message: string): never {
  throw new Error(message);
}
