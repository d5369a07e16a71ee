import { type VeeEvent, transitionVee } from '@reservoir/domain/vee/vee-phase';
import { type TransitionActor, type VeeRecord } from '@reservoir/domain/vee/vee-record';
import { type VeeStore } from '@reservoir/domain/ports/vee-store.port';
import { type Clock } from '@reservoir/domain/ports/clock.port';

/**
 * Moves a VEE through `transitionVee` and persists the move with its history row (compare-and-set on the
 * current phase). Returns the VEE in its new phase, or `undefined` when the event does not apply or someone else
 * moved the VEE first.
 */
export class VeePhaseRecorder {
  constructor(
    private readonly store: VeeStore,
    private readonly clock: Clock,
  ) {}

  /** Stores a new VEE in its first phase. */
  async create(vee: Omit<VeeRecord, 'phase' | 'createdAt' | 'updatedAt'>, by: TransitionActor): Promise<VeeRecord> {
    const t = transitionVee(undefined, { type: 'defined' });
    if (!t) throw new Error('invariant: a new VEE always has a first phase');
    const at = this.clock.now();
    const record: VeeRecord = { ...vee, phase: t.next, createdAt: at, updatedAt: at };
    await this.store.create(record, { veeId: vee.id, serviceId: vee.serviceId, from: null, to: t.next, reason: `${t.reason} on host ${vee.hostName}`, by, at });
    return record;
  }

  async move(vee: VeeRecord, event: VeeEvent, by: TransitionActor): Promise<VeeRecord | undefined> {
    const t = transitionVee(vee.phase, event);
    if (!t) return undefined;
    const at = this.clock.now();
    const moved = await this.store.transition({ veeId: vee.id, serviceId: vee.serviceId, from: vee.phase, to: t.next, reason: t.reason, by, at });
    return moved ? { ...vee, phase: t.next, updatedAt: at } : undefined;
  }
}
