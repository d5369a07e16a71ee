import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { type XmllintExit, type XmllintRequest, type XmllintRun, type XmllintWorkerMessage, XMLLINT_WORKER_SOURCE } from './xmllint-worker.source';

// The project's TypeScript libs (ES2022, @types/node) do not declare WebAssembly; this is all the parent needs.
declare const WebAssembly: { Module: new (bytes: Uint8Array) => CompiledXmllint };
/** xmllint.wasm compiled (a `WebAssembly.Module`): immutable code, shared by every worker of the process. */
interface CompiledXmllint {
  readonly __compiledXmllint?: never;
}

/** Options of {@link XmllintWorkerPool}. */
export interface XmllintWorkerPoolOptions {
  /** Most worker threads, hence most xmllint runs at once. */
  size: number;
  /** Time a run may take once handed to a worker before it is stopped (the worker is terminated), in ms. */
  timeoutMs: number;
  /** A worker idle this long is stopped (a new one starts on demand), in ms. */
  idleTimeoutMs: number;
}

/** The longest a new worker may take to load xmllint before it is given up. */
const START_TIMEOUT_MS = 30_000;

let compiled: CompiledXmllint | undefined;
let xmllintPath: string | undefined;

/** xmllint-wasm's Emscripten glue (its path) and xmllint.wasm compiled, both loaded once per process. */
function loadXmllint(): { path: string; wasm: CompiledXmllint } {
  xmllintPath ??= require.resolve('xmllint-wasm/xmllint-node.js');
  // V8 compiles WebAssembly lazily (functions on first call), so this takes milliseconds; the code compiled
  // then, and its optimised tiers, are shared by all the workers the module is sent to.
  compiled ??= new WebAssembly.Module(readFileSync(join(dirname(xmllintPath), 'xmllint.wasm')));
  return { path: xmllintPath, wasm: compiled };
}

interface Job {
  request: XmllintRequest;
  timeoutMs: number;
  resolve: (exit: XmllintExit) => void;
  reject: (error: Error) => void;
}

interface Slot {
  worker: Worker;
  state: 'starting' | 'idle' | 'busy' | 'retired';
  job?: Job;
  timer?: NodeJS.Timeout;
}

/**
 * Long-lived worker threads running xmllint-wasm (see {@link XMLLINT_WORKER_SOURCE}), started on demand up to
 * `size`; runs wait in order when all are busy. A run that takes longer than its timeout is rejected and its
 * worker terminated (a new one starts when needed); a worker that crashes or fails to start rejects what it
 * was given and is replaced the same way, so one bad run never wedges the pool.
 *
 * Workers keep the process alive only while they have work: an idle pool never holds up the exit of jest or
 * of a CLI, and an awaited run is never cut short by it. {@link close} stops them all.
 */
export class XmllintWorkerPool {
  private readonly slots = new Set<Slot>();
  private readonly queue: Job[] = [];
  /** Every worker thread not exited yet (in the pool or retired and terminating): resolves on its exit. */
  private readonly threads = new Set<Promise<void>>();
  private nextId = 1;
  private started = 0;
  private closed = false;
  private closing: Promise<void> | undefined;

  constructor(private readonly options: XmllintWorkerPoolOptions) {}

  /** Workers started so far, and those whose thread has not exited yet. */
  get stats(): { started: number; live: number } {
    return { started: this.started, live: this.threads.size };
  }

  /**
   * Runs xmllint once; resolves with its exit code and output, rejects when it could not run or did not end
   * within `timeoutMs` (default: the pool's), or when the pool is closed.
   */
  run(run: XmllintRun, timeoutMs: number = this.options.timeoutMs): Promise<XmllintExit> {
    if (this.closed) return Promise.reject(new Error('the xmllint worker pool is closed'));
    return new Promise<XmllintExit>((resolve, reject) => {
      const request: XmllintRequest = { type: 'run', id: this.nextId++, ...run };
      this.queue.push({ request, timeoutMs, resolve, reject });
      this.pump();
    });
  }

  /** Rejects pending runs and terminates every worker; resolves when their threads have exited. Idempotent. */
  close(): Promise<void> {
    if (!this.closing) {
      this.closed = true;
      const error = new Error('the xmllint worker pool is closed');
      this.failQueue(error);
      for (const slot of [...this.slots]) this.retire(slot, error);
      this.closing = Promise.all(this.threads).then(() => undefined);
    }
    return this.closing;
  }

  /** Hands waiting runs to idle workers, and starts workers for the runs no starting worker will take. */
  private pump(): void {
    if (this.closed) return;
    for (const slot of this.slots) {
      const job = slot.state === 'idle' ? this.queue.shift() : undefined;
      if (job) this.dispatch(slot, job);
    }
    let starting = [...this.slots].filter((slot) => slot.state === 'starting').length;
    while (this.queue.length > starting && this.slots.size < this.options.size) {
      if (!this.spawn()) return;
      starting += 1;
    }
  }

  private dispatch(slot: Slot, job: Job): void {
    clearTimeout(slot.timer);
    slot.state = 'busy';
    slot.job = job;
    slot.worker.ref();
    slot.timer = unref(setTimeout(() => this.retire(slot, new Error(`no result within ${job.timeoutMs} ms; the run was stopped`)), job.timeoutMs));
    slot.worker.postMessage(job.request);
  }

  /** Starts a worker; false (and the waiting runs rejected) when xmllint cannot even be loaded. */
  private spawn(): boolean {
    let worker: Worker;
    try {
      const xmllint = loadXmllint();
      worker = new Worker(XMLLINT_WORKER_SOURCE, {
        eval: true,
        workerData: { xmllintPath: xmllint.path, wasmModule: xmllint.wasm },
        env: {},
        execArgv: [],
      });
    } catch (error) {
      this.failQueue(new Error(`cannot start an xmllint worker: ${messageOf(error)}`, { cause: error }));
      return false;
    }
    this.started += 1;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    this.threads.add(exited);
    const slot: Slot = { worker, state: 'starting' };
    slot.timer = unref(setTimeout(() => this.startFailed(slot, `not ready within ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS));
    this.slots.add(slot);
    worker.on('message', (message: XmllintWorkerMessage) => this.onMessage(slot, message));
    worker.on('error', (error) => (slot.state === 'starting' ? this.startFailed(slot, error.message) : this.retire(slot, new Error(`its worker crashed: ${error.message}`, { cause: error }))));
    worker.on('exit', (code) => {
      this.threads.delete(exited);
      if (slot.state === 'starting') this.startFailed(slot, `exited with code ${code}`);
      else this.retire(slot, new Error(`its worker exited with code ${code}`));
    });
    return true;
  }

  private onMessage(slot: Slot, message: XmllintWorkerMessage): void {
    if (message.type === 'ready') {
      if (slot.state !== 'starting') return;
      clearTimeout(slot.timer);
      this.idle(slot);
      this.pump();
    } else if (message.type === 'failed') {
      this.startFailed(slot, message.message);
    } else if (slot.state === 'busy' && slot.job?.request.id === message.id) {
      const job = slot.job;
      if (message.type === 'crashed') {
        // The runtime of that run is gone anyway; a new worker costs little and rules out any leftover.
        this.retire(slot, new Error(message.message));
        return;
      }
      clearTimeout(slot.timer);
      slot.job = undefined;
      this.idle(slot);
      job.resolve({ exitCode: message.exitCode, stdout: message.stdout, stderr: message.stderr });
      this.pump();
    }
  }

  /** Idle: lets the process exit, and stops the worker if no run comes within idleTimeoutMs. */
  private idle(slot: Slot): void {
    slot.state = 'idle';
    slot.worker.unref();
    slot.timer = unref(setTimeout(() => this.retire(slot), this.options.idleTimeoutMs));
  }

  /** A worker that could not load xmllint: the runs waiting for it would wait for a replacement that fails alike. */
  private startFailed(slot: Slot, reason: string): void {
    if (slot.state === 'retired') return;
    this.failQueue(new Error(`cannot start an xmllint worker: ${reason}`));
    this.retire(slot);
  }

  /** Takes a worker out of the pool and terminates it, rejecting its run (if any) with `error`. */
  private retire(slot: Slot, error?: Error): void {
    if (slot.state === 'retired') return;
    slot.state = 'retired';
    clearTimeout(slot.timer);
    this.slots.delete(slot);
    const job = slot.job;
    slot.job = undefined;
    void slot.worker.terminate();
    if (job) job.reject(error ?? new Error('its worker was stopped'));
    this.pump();
  }

  private failQueue(error: Error): void {
    for (const job of this.queue.splice(0)) job.reject(error);
  }
}

function unref(timer: NodeJS.Timeout): NodeJS.Timeout {
  timer.unref();
  return timer;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
