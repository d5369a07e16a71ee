import { type ServicePhase } from '@reservoir/domain/service/service-phase';

/** Topic where a site announces its services' lifecycle changes (monitoring and, later, peer sites read it). */
export const SERVICE_EVENTS_TOPIC = 'service.events';

/** Payload published on SERVICE_EVENTS_TOPIC, keyed by service id so one service's events keep their order. */
export interface ServiceLifecycleEvent {
  type: 'ServicePhaseChanged';
  serviceId: string;
  name: string;
  siteId: string;
  from: ServicePhase | null;
  to: ServicePhase;
  reason: string;
  at: string;
}
