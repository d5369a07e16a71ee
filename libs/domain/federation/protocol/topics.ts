/**
 * Where RS-RS messages travel on the bus and under which key (docs/rsrs-protocol.md, "Topics and keys").
 * One key keeps its order: a service's messages are keyed by its id, heartbeats by their sender.
 */
import { BROADCAST, type Envelope, SERVICE_MESSAGES } from './envelope';

/** Calls for proposals and heartbeats, read by every site. */
export const RSRS_BROADCAST_TOPIC = 'rsrs.broadcast';
/** Every rejected inbound message, as a {@link DeadLetter}. */
export const RSRS_DEAD_LETTER_TOPIC = 'rsrs.dead-letter';
/** Federation-level events a site publishes about itself and its peers (liveness, contracts). */
export const FEDERATION_EVENTS_TOPIC = 'federation.events';

/** A site's inbox topic: `rsrs.<siteId>`. */
export function inboxTopic(siteId: string): string {
  return `rsrs.${siteId}`;
}

/** The topic a message goes to: the addressee's inbox, or the broadcast topic. */
export function topicFor(to: string): string {
  return to === BROADCAST ? RSRS_BROADCAST_TOPIC : inboxTopic(to);
}

/** The bus key: the service id for messages about a service, else the sender's site id. */
export function busKeyFor(envelope: Pick<Envelope, 'type' | 'from' | 'body'>): string {
  if (SERVICE_MESSAGES.has(envelope.type)) {
    const serviceId = (envelope.body as { serviceId?: unknown }).serviceId;
    if (typeof serviceId === 'string' && serviceId !== '') return serviceId;
  }
  return envelope.from;
}
