// Checkpoint pause, duration and size on one running VEE: the broker's `POST /v1/vees/:id/checkpoints`
// interleaved with the raw libvirt operation its adapter uses, run by virsh on the same domain:
//   virsh snapshot-create-as DOM NAME --memspec file=…,snapshot=external --diskspec vda,snapshot=external,file=…
//         --live --atomic --no-metadata
//   virsh blockcommit DOM vda --active --shallow --wait --pivot       (the disk back onto its own file; timed apart)
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { sleep } from './bench-broker';
import { type Observed, pauseAround } from './protection-guest';
import { takeCheckpoint } from './protection-broker';
import { virsh } from './libvirt-tools';

/** One checkpoint, ms unless named otherwise. */
export interface PauseSample {
  consoleMs: number;
  libvirtMs?: number;
  /** Broker: the POST round trip. Raw: the snapshot-create-as process. */
  opMs: number;
  /** Raw only: the blockcommit --pivot process. */
  commitMs?: number;
  bytes: number;
}

export interface PauseResult {
  broker: PauseSample[];
  raw: PauseSample[];
  rawError?: string;
}

/** Settling time between two operations, so each gap is its own and the guest ticks steadily before the next. */
const SPACING_MS = 800;

/** The domain's file disks: target dev and source path, in order. */
export async function fileDisks(uri: string, domain: string, inactive = false): Promise<{ target: string; path: string }[]> {
  const xml = await virsh(uri, 'dumpxml', ...(inactive ? ['--inactive'] : []), domain);
  return [...xml.matchAll(/<disk type='file' device='disk'>([\s\S]*?)<\/disk>/g)].map((m) => {
    const body = m[1] ?? '';
    return { path: /<source file='([^']+)'/.exec(body)?.[1] ?? '', target: /<target dev='([^']+)'/.exec(body)?.[1] ?? '' };
  });
}

async function brokerSample(url: string, veeId: string, o: Observed): Promise<PauseSample> {
  const w0 = Date.now();
  const t0 = performance.now();
  const c = await takeCheckpoint(url, veeId);
  const t1 = performance.now();
  const w1 = Date.now();
  const seen = await pauseAround(o, t0, t1, w0, w1);
  return { consoleMs: seen.consoleMs, libvirtMs: seen.libvirtMs, opMs: t1 - t0, bytes: c.sizeBytes ?? Number.NaN };
}

async function rawSample(uri: string, o: Observed, dir: string, i: number, disks: { target: string; path: string }[]): Promise<PauseSample> {
  const here = join(dir, `raw-${i}`);
  mkdirSync(here, { mode: 0o755 });
  const memory = join(here, 'memory.save');
  const diskspecs = disks.flatMap((d) => ['--diskspec', `${d.target},snapshot=external,file=${join(here, `${d.target}.next.qcow2`)}`]);
  const w0 = Date.now();
  const t0 = performance.now();
  await virsh(uri, 'snapshot-create-as', o.domain, `bench-raw-${i}`, '--memspec', `file=${memory},snapshot=external`, ...diskspecs, '--live', '--atomic', '--no-metadata');
  const t1 = performance.now();
  const w1 = Date.now();
  const c0 = performance.now();
  for (const d of disks) await virsh(uri, 'blockcommit', o.domain, d.target, '--active', '--shallow', '--wait', '--pivot');
  const commitMs = performance.now() - c0;
  const seen = await pauseAround(o, t0, t1, w0, w1);
  const bytes = statSync(memory).size;
  // Back on its own files, live and persistent, or the broker's next checkpoint or restore would be wrong.
  for (const inactive of [false, true]) {
    const now = await fileDisks(uri, o.domain, inactive);
    if (now.map((d) => d.path).join() !== disks.map((d) => d.path).join()) throw new Error(`${o.domain}: disks ${now.map((d) => d.path).join()} after blockcommit (${inactive ? 'persistent' : 'live'}), wanted ${disks.map((d) => d.path).join()}`);
  }
  rmSync(here, { recursive: true, force: true });
  return { consoleMs: seen.consoleMs, libvirtMs: seen.libvirtMs, opMs: t1 - t0, commitMs, bytes };
}

/** `count` of each, interleaved (alternating which goes first). A raw failure stops the raw side only. */
export async function measurePauses(url: string, uri: string, veeId: string, o: Observed, dir: string, count: number, stopping: () => boolean): Promise<PauseResult> {
  const disks = await fileDisks(uri, o.domain);
  const result: PauseResult = { broker: [], raw: [] };
  const raw = async (i: number): Promise<void> => {
    if (result.rawError) return;
    try {
      result.raw.push(await rawSample(uri, o, dir, i, disks));
    } catch (err) {
      result.rawError = (err instanceof Error ? err.message : String(err)).split('\n')[0];
    }
    await sleep(SPACING_MS);
  };
  const broker = async (): Promise<void> => {
    result.broker.push(await brokerSample(url, veeId, o));
    await sleep(SPACING_MS);
  };
  for (let i = 0; i < count && !stopping(); i += 1) {
    if (i % 2 === 0) {
      await broker();
      await raw(i);
    } else {
      await raw(i);
      await broker();
    }
  }
  return result;
}
