// The protection benchmark's broker: in-process, embedded store, host qemu:///system, checkpoint bundles and
// console logs in the run's temp dir, and an image catalogue of its own so the `counter` guest gets
// `dirty-mib=N` on its kernel command line (the broker passes the catalogue's cmdline as is; a manifest has no
// way to add to it). Plus the few API calls the benchmark makes.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { IMAGE_DIR } from '@reservoir/testing/libvirt-services';
import { type BenchBroker, deleteService, getService, registerHost, startBenchBroker, submitService, until } from './bench-broker';
import { type Cleanup } from './cleanup';

/** One checkpoint as GET/POST /v1/vees/:id/checkpoints give it (the fields read here). */
export interface CheckpointJson {
  id: string;
  epoch: number;
  createdAt: string;
  completedAt?: string;
  complete: boolean;
  sizeBytes?: number;
  trigger: string | null;
}

/** GET /v1/vees/:id (the fields read here). `rpo` is read if a later broker adds it. */
export interface VeeJson {
  id: string;
  phase: string;
  domain: string;
  consoleLog: string;
  failover?: { state: string; since: string; reason: string; lastAction?: { type: string; step: string; attempt: number; at: string } };
  rpo?: { configuredMs: number; achievedMs: number; degraded: boolean };
}

export interface ProtectionBroker {
  bench: BenchBroker;
  url: string;
  consoleDir: string;
  checkpointDir: string;
}

/** Every setting the broker gets (printed in the header). */
export function brokerEnv(root: string): Record<string, string> {
  return {
    RESERVOIR_CONSOLE_DIR: join(root, 'consoles'),
    RESERVOIR_CHECKPOINT_DIR: join(root, 'checkpoints'),
    RESERVOIR_IMAGE_DIR: join(root, 'images'),
    // Detection: one check per reconcile pass, SUSPECT_AFTER (default 2) failed checks start recovery.
    RESERVOIR_RECONCILE_PERIOD_MS: '200',
    // Keep every checkpoint of a run, so the RPO is computed from all of them (no pruning inside the timings).
    RESERVOIR_CHECKPOINT_KEEP: '1000',
    // Each kill starts a fresh recovery chain (restore the newest checkpoint) instead of escalating.
    RESERVOIR_FAILOVER_FORGET_AFTER_MS: '1000',
  };
}

/** IMAGE_DIR's catalogue with absolute paths and `dirty-mib=N` added to the counter guest's command line. */
function writeCatalogue(dir: string, dirtyMib: number): void {
  const raw = JSON.parse(readFileSync(join(IMAGE_DIR, 'catalogue.json'), 'utf8')) as { images: Record<string, unknown>[] };
  const abs = (p: unknown): unknown => (typeof p === 'string' && !isAbsolute(p) ? join(IMAGE_DIR, p) : p);
  const images = raw.images.map((image) => {
    const boot = image.boot as { kernel?: string; initrd?: string; cmdline?: string } | undefined;
    const files = (image.files as { path: string }[] | undefined)?.map((f) => ({ ...f, path: abs(f.path) }));
    const cmdline = image.ref === 'counter' ? [boot?.cmdline ?? '', `dirty-mib=${dirtyMib}`].filter((w) => w !== '').join(' ') : boot?.cmdline;
    const kernelBoot = boot?.kernel ? { ...boot, kernel: abs(boot.kernel), ...(boot.initrd ? { initrd: abs(boot.initrd) } : {}), cmdline } : boot;
    return { ...image, boot: kernelBoot, disk: abs(image.disk), ...(files ? { files } : {}) };
  });
  writeFileSync(join(dir, 'catalogue.json'), JSON.stringify({ ...raw, images }, null, 1));
}

/** Starts the broker under `root` (mode 0755: libvirtd and QEMU reach the files) and registers the host. */
export async function startProtectionBroker(root: string, uri: string, dirtyMib: number, cleanup: Cleanup): Promise<ProtectionBroker> {
  const env = brokerEnv(root);
  for (const dir of [env.RESERVOIR_CONSOLE_DIR, env.RESERVOIR_CHECKPOINT_DIR, env.RESERVOIR_IMAGE_DIR]) mkdirSync(dir as string, { mode: 0o755 });
  writeCatalogue(env.RESERVOIR_IMAGE_DIR as string, dirtyMib);
  const bench = await startBenchBroker(env);
  cleanup.add('protection broker', () => bench.close());
  await registerHost(bench.url, 'qemu-1', uri);
  return { bench, url: bench.url, consoleDir: env.RESERVOIR_CONSOLE_DIR as string, checkpointDir: env.RESERVOIR_CHECKPOINT_DIR as string };
}

/** A one-tier service of one `counter` VEE with protection `checkpoint` every `intervalMs`. */
export function protectedManifest(name: string, memoryMib: number, intervalMs: number): string {
  return `<?xml version="1.0"?><service xmlns="urn:reservoir:service-manifest:1" version="1" name="${name}">` +
    `<tier name="guest"><VEE-requirement vcpu="1" memory-mib="${memoryMib}" instances="1"/><image ref="counter" format="qcow2"/>` +
    `<tier-QoS availability="99" protection="checkpoint" checkpoint-interval-ms="${intervalMs}"/></tier></service>`;
}

/** A deployed service's one VEE. */
export interface Deployed {
  serviceId: string;
  veeId: string;
  domain: string;
  consoleLog: string;
  /** Deletes the service (domain, disk) and waits until it is gone; idempotent. */
  remove: () => Promise<void>;
}

/** POSTs the manifest and waits until the service is running; the removal is registered with `cleanup`. */
export async function deploy(b: ProtectionBroker, manifest: string, cleanup: Cleanup): Promise<Deployed> {
  const serviceId = await submitService(b.url, manifest);
  let removing: Promise<void> | undefined;
  const remove = (): Promise<void> => (removing ??= deleteService(b.url, serviceId, 120_000));
  const drop = cleanup.add(`service ${serviceId}`, remove);
  const service = await until('the service running', async () => {
    const s = await getService(b.url, serviceId);
    if (s?.phase === 'failed') throw new Error(`deploying ${serviceId} failed: ${JSON.stringify(s).slice(0, 800)}`);
    return s?.phase === 'running' ? s : undefined;
  }, 120_000, 50);
  const vee = (service.vees?.[0] ?? undefined) as ({ id?: string; domain: string; consoleLog: string } | undefined);
  if (!vee?.id) throw new Error(`service ${serviceId} is running without a VEE id`);
  return {
    serviceId, veeId: vee.id, domain: vee.domain, consoleLog: vee.consoleLog,
    remove: async () => {
      await remove();
      drop();
    },
  };
}

async function json<T>(res: Response, want: number, what: string): Promise<T> {
  if (res.status !== want) throw new Error(`${what}: HTTP ${res.status} (wanted ${want}): ${(await res.text()).slice(0, 500)}`);
  return (await res.json()) as T;
}

/** POST /v1/vees/:id/checkpoints: the new (complete) checkpoint. */
export async function takeCheckpoint(url: string, veeId: string): Promise<CheckpointJson> {
  return json(await fetch(`${url}/v1/vees/${veeId}/checkpoints`, { method: 'POST' }), 201, `checkpoint of VEE ${veeId}`);
}

/** GET /v1/vees/:id/checkpoints, newest first. */
export async function listCheckpoints(url: string, veeId: string): Promise<CheckpointJson[]> {
  return (await json<{ items: CheckpointJson[] }>(await fetch(`${url}/v1/vees/${veeId}/checkpoints`), 200, `checkpoints of VEE ${veeId}`)).items;
}

/** GET /v1/vees/:id. */
export async function getVee(url: string, veeId: string): Promise<VeeJson> {
  return json(await fetch(`${url}/v1/vees/${veeId}`), 200, `VEE ${veeId}`);
}
