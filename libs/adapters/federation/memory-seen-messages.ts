import { type SeenMessages } from '@reservoir/domain/ports/federation-security.port';

/**
 * SeenMessages in memory, for tests and the zero-setup demo. Same contract as the PostgreSQL one (atomic:
 * JavaScript runs one `remember` at a time); forgotten on restart, so a restarted demo site accepts replays of
 * messages still inside the clock window: use the PostgreSQL store wherever that matters.
 */
export class MemorySeenMessages implements SeenMessages {
  private readonly seen = new Map<string, number>();

  async remember(id: string, from: string, sentAt: Date): Promise<boolean> {
    const key = this.key(id, from);
    if (this.seen.has(key)) return false;
    this.seen.set(key, sentAt.getTime());
    return true;
  }

  async forget(id: string, from: string): Promise<void> {
    this.seen.delete(this.key(id, from));
  }

  async forgetBefore(instant: Date): Promise<number> {
    let dropped = 0;
    for (const [key, sentAt] of this.seen) {
      if (sentAt < instant.getTime()) {
        this.seen.delete(key);
        dropped++;
      }
    }
    return dropped;
  }

  get size(): number {
    return this.seen.size;
  }

  private key(id: string, from: string): string {
    return `${from}\u0000${id}`;
  }
}
