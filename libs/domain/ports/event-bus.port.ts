/**
 * The broker's message bus: Kafka in production and tests, an in-process bus for the zero-setup demo.
 * Messages with the same key keep their order. Delivery is at-least-once: handlers must be idempotent.
 */
export interface BusMessage {
  topic: string;
  key: string;
  /** JSON-encoded payload. */
  value: string;
}

export type BusHandler = (message: BusMessage) => Promise<void>;

export interface EventBus {
  publish(message: BusMessage): Promise<void>;
  /** Consumes `topic` as a member of consumer group `group` until `close()`. */
  subscribe(topic: string, group: string, handler: BusHandler): Promise<void>;
  /** Answers when the bus is reachable (health checks). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
