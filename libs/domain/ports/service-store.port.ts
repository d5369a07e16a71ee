import { type ServiceDefinition } from '../manifest/service-definition';
import { type PlacementError } from '../deploy/plan-deployment';
import { type ServiceRecord, type PhaseHistoryEntry } from '../service/service-record';

export interface Page<T> {
  items: T[];
  total: number;
}

/**
 * Durable storage of services, owned by the service use cases. `create` and `remove` record the phase
 * history entry in the same transaction as the change.
 */
/** What may change together with a phase: placement errors, or (a tier update) the definition and its revision. */
export interface ServiceChanges {
  placementErrors?: PlacementError[] | null;
  definition?: ServiceDefinition;
  revision?: number;
}

export interface ServiceStore {
  /** Stores a new service; throws DomainError('conflict') when a live service already has that name. */
  create(record: ServiceRecord, history: PhaseHistoryEntry): Promise<void>;
  /** `undefined` when no service has that id. */
  get(id: string): Promise<ServiceRecord | undefined>;
  /** Newest first. */
  list(limit: number, offset: number): Promise<Page<ServiceRecord>>;
  history(id: string): Promise<PhaseHistoryEntry[]>;
  /**
   * Moves the service from `entry.from` to `entry.to` and records `entry`, in one transaction; false (nothing
   * changed) when the service is gone or no longer in `entry.from` (someone else moved it). `placementErrors`
   * replaces the stored list when given; `null` clears it.
   */
  updatePhase(id: string, entry: PhaseHistoryEntry, changes?: ServiceChanges): Promise<boolean>;
  /** Removes the service; false when it did not exist. */
  remove(id: string): Promise<boolean>;
  /** Answers when the store is reachable (health checks). */
  ping(): Promise<void>;
}
