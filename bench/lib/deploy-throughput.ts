// Deploy throughput through the whole broker: submit services over HTTP, poll each until `running`.
// Latencies come from the broker's own phase history (`phaseHistory[].at`, the broker's wall clock in ms) against
// the client's wall clock just before each POST, so the polling interval does not blur them.
import { renamed } from '@reservoir/testing/broker-harness';
import { getService, phaseAt, sleep, submitService } from './bench-broker';
import { median, percentile, sorted } from './stats';

/** A batch of services to deploy; every service has `veesPerService` VEEs. */
export interface Workload {
  label: string;
  /** burst: every POST back to back, then wait; serial: the next POST once the previous service runs. */
  mode: 'burst' | 'serial';
  services: number;
  veesPerService: number;
  /** 1-63 of a-z, 0-9 and -; services are named `${prefix}-${i}`. */
  prefix: string;
  memoryMiB: number;
}

export interface ThroughputRow {
  label: string;
  services: number;
  vees: number;
  seconds: number;
  veesPerSecond: number;
  /** ms from the client's POST to the broker recording `running`, queueing behind earlier deployments included. */
  latency: { p50: number; p99: number };
  /** ms from `placing` to `running`: the deployment itself, under the site's placement lock. */
  deploy: { p50: number; p99: number };
  /** ms of the POST round trip (validation, store, 201). */
  post: { p50: number };
  /** Median deploy ms of the first and the last tenth of the services, in submission order (at least one each). */
  deployTrend: { first: number; last: number };
}

/** minimal.xml renamed, with its VEE's memory and instance count replaced. */
export function workloadManifest(name: string, memoryMiB: number, instances: number): string {
  const xml = renamed('minimal.xml', name).toString('utf8');
  const out = xml.replace(/memory-mib="\d+"/, `memory-mib="${memoryMiB}"`).replace(/instances="\d+"/, `instances="${instances}"`);
  if (!out.includes(`memory-mib="${memoryMiB}"`) || !out.includes(`instances="${instances}"`)) throw new Error('minimal.xml changed shape: cannot size it');
  return out;
}

interface Sample {
  id: string;
  postedAt: number;
  postMs: number;
}

interface Done {
  postedAt: number;
  postMs: number;
  placingAt: number;
  runningAt: number;
}

/** Polls one service until it runs; a `failed` service aborts the benchmark with the broker's reason. */
async function waitRunning(url: string, sample: Sample, timeoutMs: number): Promise<Done> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const s = await getService(url, sample.id);
    if (!s) throw new Error(`service ${sample.id} disappeared`);
    if (s.phase === 'running') return { ...sample, placingAt: phaseAt(s, 'placing'), runningAt: phaseAt(s, 'running') };
    if (s.phase === 'failed') throw new Error(`service ${s.name} failed: ${s.phaseHistory?.at(-1)?.reason ?? '?'}`);
    if (performance.now() > deadline) throw new Error(`service ${s.name} still ${s.phase} after ${timeoutMs} ms`);
    await sleep(5);
  }
}

async function post(url: string, manifest: string): Promise<Sample> {
  const postedAt = Date.now();
  const t0 = performance.now();
  const id = await submitService(url, manifest);
  return { id, postedAt, postMs: performance.now() - t0 };
}

/** Deploys the workload on whatever hosts the broker at `url` has, and measures it. */
export async function measureThroughput(url: string, w: Workload, timeoutMs = 120_000): Promise<ThroughputRow> {
  const manifests = Array.from({ length: w.services }, (_, i) => workloadManifest(`${w.prefix}-${i}`, w.memoryMiB, w.veesPerService));
  const done: Done[] = [];
  if (w.mode === 'serial') {
    for (const m of manifests) done.push(await waitRunning(url, await post(url, m), timeoutMs));
  } else {
    const samples: Sample[] = [];
    for (const m of manifests) samples.push(await post(url, m));
    // Deployments run one at a time in arrival order, so waiting in submission order costs nothing.
    for (const s of samples) done.push(await waitRunning(url, s, timeoutMs));
  }
  const first = Math.min(...done.map((d) => d.postedAt));
  const last = Math.max(...done.map((d) => d.runningAt));
  const seconds = Math.max(last - first, 1) / 1000;
  const latency = sorted(done.map((d) => d.runningAt - d.postedAt));
  const deploy = sorted(done.map((d) => d.runningAt - d.placingAt));
  const posts = sorted(done.map((d) => d.postMs));
  const tenth = Math.max(1, Math.floor(done.length / 10));
  const deployMs = done.map((d) => d.runningAt - d.placingAt);
  const vees = w.services * w.veesPerService;
  return {
    label: w.label,
    services: w.services,
    vees,
    seconds,
    veesPerSecond: vees / seconds,
    latency: { p50: percentile(latency, 50), p99: percentile(latency, 99) },
    deploy: { p50: percentile(deploy, 50), p99: percentile(deploy, 99) },
    post: { p50: percentile(posts, 50) },
    deployTrend: { first: median(deployMs.slice(0, tenth)), last: median(deployMs.slice(-tenth)) },
  };
}
