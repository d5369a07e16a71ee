import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Client } from 'pg';
import { findShippedFile } from '@reservoir/config';
import { resetTestDatabase, TEST_DATABASE_URL } from './real-services';

/** The compiled site broker (`npm run build`); test-all.sh builds before the e2e run. */
export function brokerMainPath(): string {
  return join(findShippedFile('package.json'), '..', 'dist/apps/site-broker/main.js');
}

/** A free TCP port on 127.0.0.1 (bound and released; good enough for a test's own processes). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * A database of its own for one site on the test PostgreSQL server, emptied: `<test database>_<suffix>`.
 * Returns its URL.
 */
export async function freshSiteDatabase(suffix: string): Promise<string> {
  const url = new URL(TEST_DATABASE_URL);
  const name = `${url.pathname.slice(1)}_${suffix.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}`;
  const admin = new Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  try {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount === 0) await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  url.pathname = `/${name}`;
  await resetTestDatabase(url.toString());
  return url.toString();
}

export interface SiteProcessOptions {
  siteId: string;
  port: number;
  /** RESERVOIR_* variables on top of the site id, host and port. */
  env: Record<string, string>;
}

/** One site broker as a separate OS process, restartable on the same port. */
export class SiteProcess {
  private child: ChildProcess | undefined;
  private output = '';

  constructor(readonly options: SiteProcessOptions) {}

  get url(): string {
    return `http://127.0.0.1:${this.options.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Everything the process printed (both streams), for failure messages. */
  get log(): string {
    return this.output;
  }

  /** Spawns the broker and resolves once `/healthz` answers. */
  async start(timeoutMs = 60_000): Promise<void> {
    const main = brokerMainPath();
    if (!existsSync(main)) throw new Error(`${main} is missing: run npm run build first`);
    const env = {
      ...process.env,
      ...this.options.env,
      RESERVOIR_SITE_ID: this.options.siteId,
      RESERVOIR_HTTP_HOST: '127.0.0.1',
      RESERVOIR_HTTP_PORT: String(this.options.port),
    };
    const child = spawn(process.execPath, [main], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const append = (d: Buffer) => {
      this.output += d.toString();
      if (this.output.length > 1_000_000) this.output = this.output.slice(-500_000);
    };
    child.stdout?.on('data', append);
    child.stderr?.on('data', append);
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code, signal) => reject(new Error(`site ${this.options.siteId} exited (${code ?? signal}) while starting:\n${this.output}`))));
    const healthy = (async () => {
      for (const deadline = Date.now() + timeoutMs; Date.now() < deadline;) {
        const ok = await fetch(`${this.url}/healthz`).then((r) => r.ok, () => false);
        if (ok) return;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`site ${this.options.siteId} did not answer /healthz within ${timeoutMs} ms:\n${this.output}`);
    })();
    await Promise.race([healthy, exited]);
    exited.catch(() => undefined);
  }

  /** Sends `signal` and resolves once the process is gone. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    await gone;
    this.child = undefined;
  }

  /** SIGKILL: the site dies without a goodbye. */
  kill(): Promise<void> {
    return this.stop('SIGKILL');
  }
}
