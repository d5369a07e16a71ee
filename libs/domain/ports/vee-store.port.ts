import { type VeeHistoryEntry, type VeeRecord } from '../vee/vee-record';

/** Where a VEE moved to: the new host and the domain spec defined there. */
export interface VeeMove {
  hostId: string;
  hostName: string;
  spec: VeeRecord['spec'];
}

/**
 * Durable storage of VEEs and their phase history, owned by the deploy use cases and the reconcile loop.
 * A VEE row is the capacity reservation on its host until it is deleted; rows go with their service.
 */
export interface VeeStore {
  /** Stores a new VEE with its first history row, in one transaction. */
  create(vee: VeeRecord, history: VeeHistoryEntry): Promise<void>;
  get(id: string): Promise<VeeRecord | undefined>;
  /**
   * Moves the VEE from `entry.from` to `entry.to` and records `entry`, in one transaction; false (nothing changed)
   * when the VEE is gone or no longer in `entry.from`.
   */
  transition(entry: VeeHistoryEntry): Promise<boolean>;
  /** The service's VEEs, deleted ones included, oldest first. */
  listByService(serviceId: string): Promise<VeeRecord[]>;
  /** Replaces what the VEE is defined as (a tier update redefines its domain); false for an unknown id. */
  updateSpec(id: string, spec: VeeRecord['spec'], at: Date): Promise<boolean>;
  /**
   * Records that the VEE now lives on another host (failover moved it), with what it is defined as there; its
   * phase and history are untouched. False for an unknown id.
   */
  moveHost(id: string, to: VeeMove, at: Date): Promise<boolean>;
  /** Every VEE of the site that is not deleted, oldest first. */
  listLive(): Promise<VeeRecord[]>;
  /** How many VEEs that are not deleted the host holds. */
  countOnHost(hostId: string): Promise<number>;
  /** Transitions of the service's VEEs, oldest first. */
  history(serviceId: string): Promise<VeeHistoryEntry[]>;
}
