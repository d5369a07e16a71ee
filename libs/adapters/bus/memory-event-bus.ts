import { type BusHandler, type BusMessage, type EventBus } from '@reservoir/domain/ports/event-bus.port';

interface Subscription {
  topic: string;
  handler: BusHandler;
  /** Serialises deliveries so one subscription sees messages in publish order. */
  tail: Promise<void>;
}

/**
 * In-process EventBus for the zero-setup demo and application tests. Each consumer group of a topic gets
 * every message once (the group's first subscriber takes it, as a single-partition Kafka group would);
 * delivery is asynchronous and ordered per subscription. A failing handler is retried a few times, then the
 * message is reported through `onDeadLetter`, never silently lost. Each group gets its own copy of the message as
 * it was when published (as a serialising bus would). After `close()` every call but close rejects.
 */
export class MemoryEventBus implements EventBus {
  private readonly groups = new Map<string, Subscription>();
  private closed = false;

  constructor(
    private readonly onDeadLetter: (message: BusMessage, error: unknown) => void = () => undefined,
    private readonly maxAttempts = 3,
  ) {}

  async publish(message: BusMessage): Promise<void> {
    if (this.closed) throw new Error('bus closed');
    const { topic, key, value } = message;
    for (const [id, sub] of this.groups) {
      if (!id.startsWith(`${topic}\u0000`)) continue;
      sub.tail = sub.tail.then(() => this.deliver(sub, { topic, key, value }));
    }
  }

  async subscribe(topic: string, group: string, handler: BusHandler): Promise<void> {
    if (this.closed) throw new Error('bus closed');
    const key = `${topic}\u0000${group}`;
    if (!this.groups.has(key)) this.groups.set(key, { topic, handler, tail: Promise.resolve() });
  }

  async ping(): Promise<void> {
    if (this.closed) throw new Error('bus closed');
  }

  /** Resolves once every message published so far has been handled (tests and orderly shutdown). */
  async drain(): Promise<void> {
    await Promise.all([...this.groups.values()].map((s) => s.tail));
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.drain();
    this.groups.clear();
  }

  private async deliver(sub: Subscription, message: BusMessage): Promise<void> {
    let lastError: unknown;
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      try {
        await sub.handler(message);
        return;
      } catch (err) {
        lastError = err;
      }
    }
    this.onDeadLetter(message, lastError);
  }
}
