/**
 * The inbound gate: every RS-RS message a site consumes passes here before anything acts on it
 * (docs/rsrs-protocol.md, "Checks on receipt"). It runs the pure checks with the ports and then
 *   - hands an accepted envelope to the dispatcher;
 *   - publishes a rejected one to `rsrs.dead-letter` as a {@link DeadLetter} (keyed by its claimed sender,
 *     or 'unknown') and returns normally, so the bus commits it and moves on: bad input never throws;
 *   - drops this site's own messages (a broadcast read back) without a dead letter.
 *
 * Errors that are not about the message are thrown, so the bus redelivers it later: a port failing (the
 * replay store, the bus while dead-lettering) or the dispatcher failing. A dispatcher failure first forgets the
 * message's id, so the redelivered copy is not taken for a replay.
 */
import { type Envelope } from '@reservoir/domain/federation/protocol/envelope';
import { type PeerKeys } from '@reservoir/domain/federation/protocol/federation';
import { checkInbound, DEFAULT_CLOCK_WINDOW_MS, type RejectReason } from '@reservoir/domain/federation/protocol/inbound-checks';
import { deadLetterOf } from '@reservoir/domain/federation/protocol/dead-letter';
import { inboxTopic, RSRS_BROADCAST_TOPIC, RSRS_DEAD_LETTER_TOPIC } from '@reservoir/domain/federation/protocol/topics';
import { type Clock } from '@reservoir/domain/ports/clock.port';
import { type BusHandler, type BusMessage, type EventBus } from '@reservoir/domain/ports/event-bus.port';
import { type MessageSchemaValidator, type SeenMessages, type SignatureVerifier } from '@reservoir/domain/ports/federation-security.port';

/** Acts on an accepted message. Must be idempotent (the bus delivers at least once); a throw means "retry". */
export type InboundDispatcher = (envelope: Envelope, message: BusMessage) => Promise<void>;

export interface InboundGateDeps {
  siteId: string;
  /** Every site of the federation, this one included, with its public key. */
  peers: PeerKeys;
  schema: MessageSchemaValidator;
  verifier: SignatureVerifier;
  seen: SeenMessages;
  clock: Clock;
  /** Where dead letters go. */
  bus: EventBus;
  /** Default 5 minutes (RESERVOIR_CLOCK_WINDOW_MS). */
  clockWindowMs?: number;
  maxMessageBytes?: number;
  /** Problems worth an operator's eye that are not the message's fault. */
  log?: (line: string) => void;
}

export type GateOutcome =
  | { status: 'dispatched'; envelope: Envelope }
  | { status: 'ignored'; reason: 'own-message'; detail: string }
  | { status: 'dead-lettered'; reason: RejectReason; detail: string };

export class InboundGate {
  /** {@link receive} as a bus handler. */
  readonly handler: BusHandler = async (message) => {
    await this.receive(message);
  };

  constructor(
    private readonly deps: InboundGateDeps,
    private readonly dispatch: InboundDispatcher,
  ) {}

  /** Checks one message and dispatches, ignores or dead-letters it. */
  async receive(message: BusMessage): Promise<GateOutcome> {
    const now = this.deps.clock.now();
    const decision = await checkInbound(message.value, {
      self: this.deps.siteId,
      peers: this.deps.peers,
      schema: this.deps.schema,
      verifier: this.deps.verifier,
      seen: this.deps.seen,
      now,
      clockWindowMs: this.windowMs,
      maxMessageBytes: this.deps.maxMessageBytes,
    });
    if (decision.ok) {
      await this.dispatchOrRelease(decision.envelope, message);
      return { status: 'dispatched', envelope: decision.envelope };
    }
    if (decision.reason === 'own-message') return { status: 'ignored', reason: decision.reason, detail: decision.detail };
    const letter = deadLetterOf(decision.reason, decision.detail, message.topic, now, message.value);
    await this.deps.bus.publish({ topic: RSRS_DEAD_LETTER_TOPIC, key: decision.claimedFrom ?? 'unknown', value: JSON.stringify(letter) });
    return { status: 'dead-lettered', reason: decision.reason, detail: decision.detail };
  }

  /**
   * Consumes this site's inbox and the broadcast topic, in consumer groups `<prefix>-inbox` and
   * `<prefix>-broadcast`: one pair per site, so every site reads every broadcast, and one group per topic, since
   * members of one Kafka group are expected to subscribe to the same topics.
   */
  async subscribe(groupPrefix = `reservoir-${this.deps.siteId}-rsrs`): Promise<void> {
    await this.deps.bus.subscribe(inboxTopic(this.deps.siteId), `${groupPrefix}-inbox`, this.handler);
    await this.deps.bus.subscribe(RSRS_BROADCAST_TOPIC, `${groupPrefix}-broadcast`, this.handler);
  }

  /**
   * Drops replay records no longer needed: a copy of a message sent before now − window is refused by the
   * clock check anyway. Twice the window is kept, to allow for this site's clock stepping back. Call it
   * periodically (every minute is plenty); answers how many records went.
   */
  forgetExpired(): Promise<number> {
    return this.deps.seen.forgetBefore(new Date(this.deps.clock.now().getTime() - 2 * this.windowMs));
  }

  private get windowMs(): number {
    return this.deps.clockWindowMs ?? DEFAULT_CLOCK_WINDOW_MS;
  }

  private async dispatchOrRelease(envelope: Envelope, message: BusMessage): Promise<void> {
    try {
      await this.dispatch(envelope, message);
    } catch (err) {
      await this.deps.seen.forget(envelope.id, envelope.from).catch((forgetErr: unknown) => {
        this.deps.log?.(`rsrs: could not forget ${envelope.type} ${envelope.id} from ${envelope.from} after a failed dispatch; its redelivery will be taken for a replay: ${String(forgetErr)}`);
      });
      throw err;
    }
  }
}
