import { type ServiceEvent, type ServicePhase, transitionService } from '@reservoir/domain/service/service-phase';
import { type TransitionActor } from '@reservoir/domain/vee/vee-record';
import { type ServiceChanges, type ServiceStore } from '@reservoir/domain/ports/service-store.port';
import { type Clock } from '@reservoir/domain/ports/clock.port';
import { type EventBus } from '@reservoir/domain/ports/event-bus.port';
import { SERVICE_EVENTS_TOPIC, type ServiceLifecycleEvent } from './service-events';

/** What the recorder needs to know about the service it moves. */
export interface ServiceRef {
  id: string;
  name: string;
  siteId: string;
  phase: ServicePhase;
}

/**
 * Moves a service through `transitionService`, persists the move with its history row (compare-and-set on the
 * current phase) and announces it on the bus. Returns the service in its new phase, or `undefined` when the
 * event does not apply or someone else moved the service first (nothing changed then).
 */
export class ServicePhaseRecorder {
  constructor(
    private readonly store: ServiceStore,
    private readonly bus: EventBus,
    private readonly clock: Clock,
    private readonly log: (line: string) => void = () => undefined,
  ) {}

  async move<T extends ServiceRef>(
    service: T,
    event: ServiceEvent,
    by: TransitionActor,
    changes?: ServiceChanges,
  ): Promise<T | undefined> {
    const t = transitionService(service.phase, event);
    if (!t) return undefined;
    const at = this.clock.now();
    const moved = await this.store.updatePhase(service.id, { from: service.phase, to: t.next, reason: t.reason, at, by }, changes);
    if (!moved) return undefined;
    const event_: ServiceLifecycleEvent = {
      type: 'ServicePhaseChanged',
      serviceId: service.id,
      name: service.name,
      siteId: service.siteId,
      from: service.phase,
      to: t.next,
      reason: t.reason,
      at: at.toISOString(),
    };
    try {
      await this.bus.publish({ topic: SERVICE_EVENTS_TOPIC, key: service.id, value: JSON.stringify(event_) });
    } catch (err) {
      // The transition is committed; the bus event is informational (see SubmitService).
      this.log(`service ${service.id}: could not publish ${service.phase} -> ${t.next}: ${String(err)}`);
    }
    return { ...service, phase: t.next };
  }
}
