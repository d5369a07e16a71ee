import {
  HypervisorError, isDomainActive, type HypervisorConnection, type HypervisorFactory, type HypervisorOperation,
} from '@reservoir/domain/ports/hypervisor.port';
import { corruptCheckpointFile, deleteCheckpointFile } from './sim-checkpoint-bundles';
import { SimHypervisorConnection } from './sim-connection';
import { SimHost, type SimDelays, type SimEnvironment } from './sim-host';
import { SimImageCatalogue } from './sim-image-catalogue';
import { parseSimUri, sameSimHost, simHostName, type SimHostConfig } from './sim-uri';
import { systemTimer, type SimTimer } from './sim-timer';

/** Small, like the real thing's order of magnitude scaled down: the demo looks alive, tests pass zero. */
export const DEFAULT_SIM_DELAYS: SimDelays = { bootMs: 10, shutdownMs: 5, saveMs: 5, restoreMs: 5, migrateMs: 20, checkpointPauseMs: 2 };

export interface SimHypervisorOptions {
  /** Default: wall time. Pass a ManualTimer to step time in tests. */
  timer?: SimTimer;
  /** Default: {@link DEFAULT_SIM_DELAYS}. */
  delays?: Partial<SimDelays>;
  /** Default: a catalogue with the example refs `counter` and `tiny-linux`. */
  catalogue?: SimImageCatalogue;
  /** Default true; false makes `migrate` reject 'unsupported', as libvirt's test driver does. */
  migration?: boolean;
}

/**
 * Simulated hypervisor hosts, in memory, for the zero-setup demo and scale tests. A registry keyed by host name
 * holds every host this factory has seen (declared by the first `sim://` URI naming it), so domains can migrate
 * between them and tests can inject failures. Failure-injection methods take a host name or a sim URI.
 */
export class SimHypervisorFactory implements HypervisorFactory {
  readonly catalogue: SimImageCatalogue;
  private readonly env: SimEnvironment;
  private readonly hosts = new Map<string, SimHost>();

  constructor(options: SimHypervisorOptions = {}) {
    this.catalogue = options.catalogue ?? new SimImageCatalogue();
    this.env = {
      timer: options.timer ?? systemTimer,
      delays: { ...DEFAULT_SIM_DELAYS, ...options.delays },
      catalogue: this.catalogue,
      migration: options.migration ?? true,
    };
  }

  async connect(uri: string): Promise<HypervisorConnection> {
    const host = this.resolve(uri);
    host.enter('connect');
    return new SimHypervisorConnection(host, (dest) => this.resolve(dest));
  }

  /** Declares a host without connecting (or checks an earlier declaration); returns its configuration. */
  declareHost(uri: string): SimHostConfig {
    return { ...this.resolve(uri).config };
  }

  /** Every declared host, in declaration order. */
  hostConfigs(): SimHostConfig[] {
    return [...this.hosts.values()].map((host) => ({ ...host.config }));
  }

  isHostUp(host: string): boolean {
    return !this.host(host).down;
  }

  /** The domain's hypervisor process dies: state 'crashed', a 'crashed' event (reason 'failed'). */
  crashDomain(host: string, name: string): void {
    const h = this.host(host);
    if (h.down) throw h.hostDown('crashDomain');
    const d = h.domain(name);
    if (!isDomainActive(d.state)) throw new HypervisorError('invalid-state', `cannot crash '${name}': it is ${d.state}`);
    d.busy = undefined;
    h.setState(d, 'crashed');
    h.emit(d, 'crashed', 'failed');
  }

  /** Power loss: active domains crash without events; every call fails 'host-down' until {@link reviveHost}. */
  killHost(host: string): void {
    this.host(host).kill();
  }

  /** The host answers again; its domains stay as the failure left them (crashed), definitions and images kept. */
  reviveHost(host: string): void {
    this.host(host).revive();
  }

  /** The next call of `operation` on the host fails with `error` before changing anything (queued, one per call). */
  refuseNext(host: string, operation: HypervisorOperation, error: HypervisorError): void {
    this.host(host).refuseNext(operation, error);
  }

  /** The guest's simulated memory and disk contents, as one number that snapshots and save images capture. */
  guestState(host: string, name: string): number {
    return this.host(host).domain(name).guestState;
  }

  /** The running guest does some work: its state moves on by `by`. Returns the new value. */
  advanceGuest(host: string, name: string, by = 1): number {
    const h = this.host(host);
    if (h.down) throw h.hostDown('advanceGuest');
    const d = h.domain(name);
    if (d.state !== 'running') throw new HypervisorError('invalid-state', `guest '${name}' is ${d.state}, not running`);
    d.guestState += by;
    return d.guestState;
  }

  /** Changes one file of the checkpoint bundle at `dir` on the host, so measuring it gives another digest. */
  corruptCheckpointFile(host: string, dir: string, file: string): void {
    corruptCheckpointFile(this.host(host), dir, file);
  }

  /** Deletes one file of the checkpoint bundle at `dir` on the host. */
  deleteCheckpointFile(host: string, dir: string, file: string): void {
    deleteCheckpointFile(this.host(host), dir, file);
  }

  private host(nameOrUri: string): SimHost {
    const name = simHostName(nameOrUri);
    const host = this.hosts.get(name);
    if (!host) throw new HypervisorError('not-found', `no sim host '${name}'`);
    return host;
  }

  private resolve(uri: string): SimHost {
    const { name, params } = parseSimUri(uri);
    const known = this.hosts.get(name);
    if (known) {
      if (params && !sameSimHost(params, known.config)) {
        throw new HypervisorError('invalid-argument', `sim host '${name}' is already declared as ${known.uri}, not ${uri}`);
      }
      return known;
    }
    if (!params) throw new HypervisorError('invalid-argument', `unknown sim host '${name}': declare it with vcpu, memory-mib and disk-gib`);
    const host = new SimHost(params, this.env);
    this.hosts.set(name, host);
    return host;
  }
}
