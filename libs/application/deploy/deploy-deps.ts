import { type Clock, type IdGenerator } from '@reservoir/domain/ports/clock.port';
import { type HostStore } from '@reservoir/domain/ports/host-store.port';
import { type ImageCatalogue } from '@reservoir/domain/ports/image-catalogue.port';
import { type ServiceStore } from '@reservoir/domain/ports/service-store.port';
import { type VeeStore } from '@reservoir/domain/ports/vee-store.port';
import { type HostConnections } from '../hosts/host-connections';
import { type ServicePhaseRecorder } from '../services/service-phase-recorder';
import { type StartWait } from './domain-operations';
import { type KeyedMutex } from './keyed-mutex';
import { type VeePhaseRecorder } from './vee-phase-recorder';

/**
 * The ports and helpers the deploy, delete and reconcile use cases draw from; each takes only the fields it
 * names (a `Pick`), so its real dependencies stay visible in its constructor's type.
 */
export interface DeployDeps {
  services: ServiceStore;
  hosts: HostStore;
  vees: VeeStore;
  images: ImageCatalogue;
  connections: HostConnections;
  servicePhases: ServicePhaseRecorder;
  veePhases: VeePhaseRecorder;
  locks: KeyedMutex;
  ids: IdGenerator;
  clock: Clock;
  /** Directory of the VEEs' console logs on their hosts. */
  consoleDir: string;
  start: StartWait;
  log: (line: string) => void;
}

/** Lock key of one service: deploy, delete and the reconcile loop take it before touching its VEEs. */
export const serviceKey = (serviceId: string): string => `service:${serviceId}`;
/** Site-wide lock of placing + deploying, so two plans never book the same capacity. */
export const PLACEMENT_KEY = 'site:placement';
