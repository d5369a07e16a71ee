/**
 * What the `rsrs.dead-letter` topic carries for every rejected inbound message (docs/rsrs-protocol.md,
 * "Dead letters"): the reason, what exactly was wrong, where and when it arrived, and the message as received.
 */
import { type RejectReason } from './inbound-checks';

/** Longest `raw` kept whole: a dead letter must itself fit in a bus message, however big the rejected one was. */
export const DEAD_LETTER_RAW_LIMIT = 131_072;

export interface DeadLetter {
  reason: RejectReason;
  detail: string;
  /** The topic the message arrived on. */
  topic: string;
  /** ISO 8601, the receiver's clock. */
  receivedAt: string;
  /** The message as received (the bus value as text), cut to {@link DEAD_LETTER_RAW_LIMIT} characters. */
  raw: string;
  /** Present when `raw` was cut: the received text's full length in characters. */
  rawLength?: number;
}

export function deadLetterOf(reason: RejectReason, detail: string, topic: string, receivedAt: Date, raw: string): DeadLetter {
  const letter: DeadLetter = { reason, detail, topic, receivedAt: receivedAt.toISOString(), raw };
  if (raw.length <= DEAD_LETTER_RAW_LIMIT) return letter;
  return { ...letter, raw: raw.slice(0, DEAD_LETTER_RAW_LIMIT), rawLength: raw.length };
}
