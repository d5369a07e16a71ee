import { type StoredCheckpoint } from '@reservoir/domain/ports/checkpoint-store.port';
import { type HostRecord } from '@reservoir/domain/hosts/host-record';
import { type VeeRecord } from '@reservoir/domain/vee/vee-record';
import { serviceKey } from '../deploy/deploy-deps';
import { describeError } from '../deploy/domain-operations';
import { type CheckpointDeps, connectionTo, digestOf, removeBundle } from './checkpoint-deps';
import { type VeeCondition } from './checkpoint-scheduler';
import { LogOnChange } from '../logging/log-on-change';

/** Tiers whose checkpoints get a copy on a second host of the site. */
const COPIED = new Set(['checkpoint', 'live-standby']);

/** A copy that landed: checkpoint `checkpointId` of VEE `veeId` now also lives on host `hostId`, verified. */
export interface CheckpointCopy {
  veeId: string;
  checkpointId: string;
  hostId: string;
  path: string;
}

export type CopyListener = (copy: CheckpointCopy) => Promise<void>;

type Deps = Pick<CheckpointDeps, 'services' | 'hosts' | 'vees' | 'connections' | 'locks' | 'checkpoints' | 'settings' | 'log'>;

/**
 * Copies of complete checkpoints of `checkpoint`/`live-standby` VEEs to a second host of the site, so a dead host
 * does not take its VEEs' only checkpoints with it (restore-checkpoint-elsewhere, live standbys).
 *
 * After a checkpoint completes (`enqueue`, the checkpoint service's completion listener), outside the service's
 * lock: pick a host other than the VEE's (the live standby's host first, then another failure domain, then any,
 * each by name), copy the bundle file by file (`checkpointReadFile` → `checkpointWriteFile`, to `copyPath`),
 * measure the copy and compare its bundle digest with the recorded one, and only then, under the service's lock
 * and if the record still exists (retention may have pruned it meanwhile), add a `local` location with that host.
 * A copy that fails or does not match is deleted and the next host is tried. Copies run one at a time per VEE; a
 * newer checkpoint waiting replaces an older one not started yet (the newest copy is what matters).
 *
 * A VEE whose checkpoints cannot be copied shows a condition (`NoSecondHost`, `CheckpointCopyFailing`) until a copy
 * succeeds: never a silent skip.
 */
export class CheckpointCopies {
  private readonly problems = new Map<string, VeeCondition>();
  private readonly queues = new Map<string, { next?: string; running: Promise<void> }>();
  private readonly listeners: CopyListener[] = [];
  /** One line per change of a VEE's copy outcome, not one per checkpoint. */
  private readonly outcomes = new LogOnChange((line) => this.d.log(line));
  private preferred: (veeId: string) => Promise<string | undefined> = async () => undefined;

  constructor(private readonly d: Deps) {}

  /** Schedules a copy of the checkpoint (a completion listener: never throws, never waits). */
  enqueue(checkpoint: Pick<StoredCheckpoint, 'id' | 'veeId'>): void {
    const queued = this.queues.get(checkpoint.veeId);
    if (queued) {
      queued.next = checkpoint.id;
      return;
    }
    const q: { next?: string; running: Promise<void> } = { next: checkpoint.id, running: Promise.resolve() };
    this.queues.set(checkpoint.veeId, q);
    q.running = (async () => {
      for (let id = q.next; id !== undefined; id = q.next) {
        q.next = undefined;
        await this.copy(id).catch((err: unknown) => this.d.log(`checkpoint ${id}: copy to a second host failed: ${describeError(err)}`));
      }
      this.queues.delete(checkpoint.veeId);
    })();
  }

  /** Resolves once no copy is queued or under way (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.queues.size > 0) await Promise.all([...this.queues.values()].map((q) => q.running));
  }

  /** Told of every copy that landed (the live standby refreshes from it). */
  onCopied(listener: CopyListener): void {
    this.listeners.push(listener);
  }

  /** Where a VEE's copies should go first (the host of its live standby). */
  preferHostOf(hostOf: (veeId: string) => Promise<string | undefined>): void {
    this.preferred = hostOf;
  }

  /** The VEE's copy conditions, for its JSON (a `ConditionSource` of the checkpoint scheduler). */
  conditions(veeId: string): VeeCondition[] {
    const c = this.problems.get(veeId);
    return c ? [c] : [];
  }

  /** Copies one checkpoint now; resolves with the copy, or undefined when none was made (a condition says why). */
  async copy(checkpointId: string): Promise<CheckpointCopy | undefined> {
    const stored = await this.d.checkpoints.get(checkpointId);
    const vee = stored?.complete ? await this.d.vees.get(stored.veeId) : undefined;
    if (!stored || !vee || vee.role !== 'active' || vee.phase === 'deleted') return undefined;
    if (!(await this.protectedTier(vee))) {
      this.problems.delete(vee.id);
      return undefined;
    }
    const source = stored.locations.find((l) => l.kind === 'local' && l.siteId === this.d.settings.siteId && l.hostId !== undefined);
    if (!source?.hostId) return undefined;
    const have = new Set(stored.locations.flatMap((l) => (l.kind === 'local' && l.hostId !== undefined ? [l.hostId] : [])));
    if (have.size > 1) return undefined; // copied already
    const targets = await this.targets(vee, have);
    if (targets.length === 0) {
      this.problems.set(vee.id, { type: 'NoSecondHost', message: await this.noHostMessage(vee) });
      this.outcomes.report(vee.id, 'no-second-host', `VEE ${vee.domain}: checkpoint ${stored.id} not copied: no second host`);
      return undefined;
    }
    const failures: string[] = [];
    for (const target of targets) {
      try {
        const copy = await this.copyTo(stored, vee, source.hostId, source.path, target);
        if (!copy) return undefined;
        this.problems.delete(vee.id);
        for (const listener of this.listeners) await listener(copy).catch((err: unknown) => this.d.log(`VEE ${vee.domain}: after copy of ${stored.id}: ${describeError(err)}`));
        return copy;
      } catch (err) {
        failures.push(`host ${target.name}: ${describeError(err)}`);
      }
    }
    const message = `checkpoint ${stored.id} could not be copied to a second host: ${failures.join('; ')}`;
    this.problems.set(vee.id, { type: 'CheckpointCopyFailing', message });
    this.outcomes.report(vee.id, 'copy-failed', `VEE ${vee.domain}: ${message}`);
    return undefined;
  }

  /** Copies, verifies, records; undefined (copy deleted) when the checkpoint went meanwhile. Rejects on a failed copy. */
  private async copyTo(stored: StoredCheckpoint, vee: VeeRecord, fromHostId: string, from: string, target: HostRecord): Promise<CheckpointCopy | undefined> {
    const src = await connectionTo(this.d, fromHostId);
    const dst = await connectionTo(this.d, target.id);
    const files = await src.checkpointMeasure(from);
    const path = copyPath(from, target);
    await dst.checkpointRemove(path); // a leftover of an earlier attempt: the path is unique to this checkpoint and host
    try {
      for (const f of files) await dst.checkpointWriteFile(path, f.name, src.checkpointReadFile(from, f.name));
      const measured = digestOf(await dst.checkpointMeasure(path)).sha256;
      if (measured !== stored.sha256) throw new Error(`the copy's digest ${measured} is not the recorded ${stored.sha256 ?? '(none)'}`);
    } catch (err) {
      await removeBundle(this.d, target.id, path);
      throw err;
    }
    const kept = await this.d.locks.run(serviceKey(vee.serviceId), async () => {
      if (!(await this.d.checkpoints.get(stored.id))) return false;
      await this.d.checkpoints.addLocation(stored.id, { kind: 'local', siteId: this.d.settings.siteId, hostId: target.id, path });
      return true;
    });
    if (!kept) {
      await removeBundle(this.d, target.id, path);
      return undefined;
    }
    this.outcomes.report(vee.id, `copied to ${target.id}`, `VEE ${vee.domain}: checkpoint ${stored.id} copied to host ${target.name} (${files.length} file(s), digest verified); later copies are logged when this changes`);
    return { veeId: vee.id, checkpointId: stored.id, hostId: target.id, path };
  }

  private async protectedTier(vee: VeeRecord): Promise<boolean> {
    const service = await this.d.services.get(vee.serviceId);
    const level = service?.definition.tiers.find((t) => t.name === vee.tier)?.qos.protection;
    return level !== undefined && COPIED.has(level);
  }

  /** Reachable hosts other than the VEE's and those holding the bundle: preferred one, other failure domains, then the rest. */
  private async targets(vee: VeeRecord, have: ReadonlySet<string>): Promise<HostRecord[]> {
    const hosts = await this.d.hosts.list();
    const own = hosts.find((h) => h.id === vee.hostId);
    const preferred = await this.preferred(vee.id).catch(() => undefined);
    const candidates = hosts.filter((h) => h.id !== vee.hostId && !have.has(h.id));
    const rank = (h: HostRecord): number => (h.id === preferred ? 0 : h.failureDomain !== own?.failureDomain ? 1 : 2);
    const answering: HostRecord[] = [];
    for (const h of candidates.sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name))) {
      try {
        await (await this.d.connections.get(h)).capacity();
        answering.push(h);
      } catch {
        // does not answer: not a copy target now
      }
    }
    return answering;
  }

  private async noHostMessage(vee: VeeRecord): Promise<string> {
    const others = (await this.d.hosts.list()).filter((h) => h.id !== vee.hostId).map((h) => h.name);
    const why = others.length === 0 ? `site ${this.d.settings.siteId} has no other host` : `no other host answers (${others.join(', ')})`;
    return `checkpoints of VEE ${vee.domain} live on host ${vee.hostName} only: ${why}; a failure of that host loses them`;
  }
}

/**
 * Where the copy goes on the target host: beside the original's path, named after the host. A location is keyed by
 * site and path in the store, and two host records may share one machine's directories (a single libvirt host).
 */
export function copyPath(original: string, target: Pick<HostRecord, 'name'>): string {
  return `${original}.copy-${target.name}`;
}
