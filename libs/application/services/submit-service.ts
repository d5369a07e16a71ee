import { DomainError } from '@reservoir/domain/shared/domain-error';
import { transitionService } from '@reservoir/domain/service/service-phase';
import { type ReplicaOrigin, type ServiceRecord } from '@reservoir/domain/service/service-record';
import { type ServiceStore } from '@reservoir/domain/ports/service-store.port';
import { type Clock, type IdGenerator } from '@reservoir/domain/ports/clock.port';
import { type EventBus } from '@reservoir/domain/ports/event-bus.port';
import { type ManifestValidator } from '../manifest-intake/validate-manifest';
import { SERVICE_EVENTS_TOPIC, type ServiceLifecycleEvent } from './service-events';

/** Thrown when a manifest is rejected; `tooLarge` lets the edge answer 413 instead of 400. */
export class ManifestRejectedError extends DomainError {
  constructor(
    details: DomainError['details'],
    readonly tooLarge: boolean,
  ) {
    super('invalid-input', `manifest rejected: ${details.length} problem(s)`, details);
  }
}

/**
 * Accepts a manifest: validate everything first, then store the service with its original bytes.
 * A rejected manifest changes nothing. The lifecycle event is published after the commit; a bus failure
 * is reported to the caller's logger but does not undo the accepted service (the event is informational).
 */
export class SubmitService {
  constructor(
    private readonly siteId: string,
    private readonly validator: Pick<ManifestValidator, 'validate'>,
    private readonly store: ServiceStore,
    private readonly bus: EventBus,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    /** Called once the service is stored and announced: the broker starts deploying it in the background. */
    private readonly onAccepted: (record: ServiceRecord) => void = () => undefined,
  ) {}

  /** `replicaOf`: the service is accepted as another site's replica (RS-RS ReplicaShip), not as a user's. */
  async execute(manifest: Uint8Array, options: { replicaOf?: ReplicaOrigin } = {}): Promise<ServiceRecord> {
    const result = await this.validator.validate(manifest);
    if (!result.ok) throw new ManifestRejectedError(result.errors, result.tooLarge === true);
    const transition = transitionService(undefined, { type: 'submitted' });
    if (!transition) throw new Error('invariant: a new service always has a first phase');
    const now = this.clock.now();
    const record: ServiceRecord = {
      id: this.ids.next(),
      siteId: this.siteId,
      name: result.definition.name,
      phase: transition.next,
      definition: result.definition,
      manifest,
      ...(options.replicaOf ? { replicaOf: options.replicaOf } : {}),
      createdAt: now,
      updatedAt: now,
    };
    await this.store.create(record, { from: null, to: transition.next, reason: transition.reason, at: now });
    try {
      await this.publish(record, transition.reason);
    } finally {
      this.onAccepted(record);
    }
    return record;
  }

  private async publish(record: ServiceRecord, reason: string): Promise<void> {
    const event: ServiceLifecycleEvent = {
      type: 'ServicePhaseChanged',
      serviceId: record.id,
      name: record.name,
      siteId: record.siteId,
      from: null,
      to: record.phase,
      reason,
      at: record.createdAt.toISOString(),
    };
    await this.bus.publish({ topic: SERVICE_EVENTS_TOPIC, key: record.id, value: JSON.stringify(event) });
  }
}
