import { EventEmitter } from 'node:events';
import { PGlite } from '@electric-sql/pglite';

/**
 * A `pg`-shaped driver module for TypeORM that runs PostgreSQL in-process with PGlite (the embedded store of
 * the zero-setup demo). PGlite is one session, so the pool hands out its single connection to one query runner
 * at a time: a transaction (BEGIN ... COMMIT on one runner) never interleaves with another runner's statements,
 * exactly as with a `pg` pool of size one. Results are shaped like `pg`'s (`rows`, `rowCount`, `command`).
 */
interface PgLikeResult {
  rows: unknown[];
  rowCount: number;
  command: string;
}

type QueryCallback = (err: Error | null, result?: PgLikeResult) => void;
type ConnectCallback = (err: Error | null, client?: EmbeddedConnection, release?: (err?: Error) => void) => void;

class EmbeddedConnection extends EventEmitter {
  constructor(private readonly db: PGlite) {
    super();
  }

  query(sql: string, paramsOrCb?: unknown[] | QueryCallback, cb?: QueryCallback): Promise<PgLikeResult> {
    const params = Array.isArray(paramsOrCb) ? paramsOrCb : undefined;
    const callback = typeof paramsOrCb === 'function' ? paramsOrCb : cb;
    const run = params && params.length > 0 ? this.db.query(sql, params) : this.db.exec(sql).then((all) => all[all.length - 1]);
    const shaped = run.then((raw) => toPgResult(sql, raw));
    if (callback) shaped.then((r) => callback(null, r), (e: Error) => callback(e));
    return shaped;
  }
}

function toPgResult(sql: string, raw: { rows?: unknown[]; affectedRows?: number } | undefined): PgLikeResult {
  const rows = raw?.rows ?? [];
  const command = (/^\s*(\w+)/.exec(sql)?.[1] ?? '').toUpperCase();
  return { rows, rowCount: raw?.affectedRows ?? rows.length, command };
}

/** Builds the driver module for one data directory (one PGlite instance per process and directory). */
export function createPgliteDriver(dataDir: string): { Pool: new () => EventEmitter } {
  const instance = PGlite.create(dataDir);
  let queue: Promise<void> = Promise.resolve();

  class EmbeddedPool extends EventEmitter {
    connect(cb: ConnectCallback): void {
      let release!: () => void;
      const mine = new Promise<void>((resolve) => (release = resolve));
      const previous = queue;
      queue = previous.then(() => mine);
      previous
        .then(() => instance)
        .then(
          (db) => {
            let released = false;
            cb(null, new EmbeddedConnection(db), () => {
              if (released) return;
              released = true;
              release();
            });
          },
          (err: Error) => {
            release();
            cb(err);
          },
        );
    }

    query(sql: string, params?: unknown[] | QueryCallback, cb?: QueryCallback): Promise<PgLikeResult> {
      return new Promise((resolve, reject) => {
        this.connect((err, client, release) => {
          if (err || !client || !release) return reject(err ?? new Error('no embedded connection'));
          client.query(sql, params, cb).then(
            (r) => (release(), resolve(r)),
            (e: Error) => (release(), reject(e)),
          );
        });
      });
    }

    end(cb?: (err?: Error) => void): void {
      queue
        .then(() => instance)
        .then((db) => db.close())
        .then(() => cb?.(), (err: Error) => cb?.(err));
    }
  }
  return { Pool: EmbeddedPool };
}
