/**
 * Sending RS-RS messages: build the envelope, sign its canonical encoding, route it to the addressee's inbox
 * (or the broadcast topic) under the key that keeps one service's messages in order (docs/rsrs-protocol.md).
 */
import { type BodyOf, BROADCAST, type Envelope, type MessageType, PROTOCOL_VERSION, SERVICE_MESSAGES, type UnsignedEnvelope } from '@reservoir/domain/federation/protocol/envelope';
import { signEnvelope } from '@reservoir/domain/federation/protocol/signing';
import { busKeyFor, topicFor } from '@reservoir/domain/federation/protocol/topics';
import { type Clock, type IdGenerator } from '@reservoir/domain/ports/clock.port';
import { type BusMessage, type EventBus } from '@reservoir/domain/ports/event-bus.port';
import { type MessageSchemaValidator, type MessageSigner } from '@reservoir/domain/ports/federation-security.port';
import { DomainError } from '@reservoir/domain/shared/domain-error';

export interface OutboundDeps {
  /** This site's id: every message's `from`. */
  siteId: string;
  signer: MessageSigner;
  clock: Clock;
  ids: IdGenerator;
  bus: EventBus;
  /** When given, every sealed message is checked against its schema first, so a receiver never has to refuse it. */
  schema?: MessageSchemaValidator;
}

export interface SealOptions {
  /** The conversation this message belongs to; defaults to the message's own id (it starts one). */
  correlationId?: string;
  /** The service's primary term; required for messages about a service (all but Heartbeat). */
  term?: number;
}

/** The bus message that carries `envelope`: its topic, key and JSON text. */
export function toBusMessage(envelope: Envelope): BusMessage {
  return { topic: topicFor(envelope.to), key: busKeyFor(envelope), value: JSON.stringify(envelope) };
}

export class OutboundMessages {
  constructor(private readonly deps: OutboundDeps) {}

  /**
   * A signed envelope from this site. Throws a DomainError ('invalid-input') for a message no receiver would
   * accept: a service message without `term`, one addressed to this site, or (with a schema) one that breaks it.
   */
  seal<T extends MessageType>(type: T, to: string, body: BodyOf<T>, options: SealOptions = {}): Envelope<T> {
    const { siteId, clock, ids, signer } = this.deps;
    if (to === siteId) throw invalid('/to', `a site does not send ${type} to itself`);
    if (SERVICE_MESSAGES.has(type) && options.term === undefined) throw invalid('/term', `${type} is about a service and needs its primary term`);
    const id = ids.next();
    const unsigned: UnsignedEnvelope<T> = {
      v: PROTOCOL_VERSION,
      type,
      id,
      from: siteId,
      to,
      sentAt: clock.now().toISOString(),
      correlationId: options.correlationId ?? id,
      ...(options.term !== undefined ? { term: options.term } : {}),
      body,
    };
    const envelope = signEnvelope(unsigned, signer);
    const problems = this.deps.schema?.validate(envelope) ?? [];
    if (problems.length > 0) throw new DomainError('invalid-input', `${type} to ${to === BROADCAST ? 'all sites' : to} breaks its schema`, problems);
    return envelope;
  }

  /** Publishes an envelope sealed earlier (e.g. once the state that names it by its id is stored). */
  async publish(envelope: Envelope): Promise<void> {
    await this.deps.bus.publish(toBusMessage(envelope));
  }

  /** Seals and publishes; resolves with the envelope once the bus has it. */
  async send<T extends MessageType>(type: T, to: string, body: BodyOf<T>, options: SealOptions = {}): Promise<Envelope<T>> {
    const envelope = this.seal(type, to, body, options);
    await this.publish(envelope);
    return envelope;
  }
}

function invalid(path: string, message: string): DomainError {
  return new DomainError('invalid-input', message, [{ path, message }]);
}
