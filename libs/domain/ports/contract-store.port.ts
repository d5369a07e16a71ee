import { type ContractChange, type ContractHistoryEntry, type ContractRecord, type ContractRole } from '../federation/contracts/contract-record';
import { type ReplicaPhase } from '../federation/protocol/envelope';

/** What the replica site last said about the replica it runs under a contract (its ReplicaStatus), and when. */
export interface ReplicaReport {
  phase: ReplicaPhase;
  vees: { tier: string; phase: string; role: 'active' | 'standby' }[];
  reason?: string;
  /** When the status was received (or sent); the store keeps the last one written. */
  at: Date;
}

/** A contract as stored: the pure record plus what the flows attach to it outside the transition function. */
export interface StoredContract extends ContractRecord {
  /** Provider side: the local replica service deployed under this contract. */
  localServiceId?: string;
  /** Consumer side: the replica site's last ReplicaStatus. */
  replica?: ReplicaReport;
  /** The CFP (correlation id) the contract came from. */
  correlationId?: string;
}

/**
 * Durable storage of this site's contracts and their history, owned by the negotiation and contract flows, the
 * expiry loop and the failure detector. Every phase change goes through `apply` with the `{contract, entry}` that
 * the pure transition functions (../federation/contracts) return, so the record and its history never disagree.
 *
 * Ids are the protocol's entity ids (UUIDs in practice, but any `entityId` a peer may send is accepted).
 */
export interface ContractStore {
  /**
   * Inserts a new contract with its first history row, in one transaction. Throws a `conflict` DomainError when a
   * contract with that id already exists (nothing is written then).
   */
  create(change: ContractChange, extra?: { correlationId?: string }): Promise<void>;
  /**
   * Writes a transition: the contract's phase, `expiresAt` and `updatedAt` plus the history row, in one
   * transaction, only if the stored phase still equals `change.entry.from` (optimistic concurrency). Returns false
   * (nothing written) when the contract is gone or someone else moved it first. A renewal (`from === to`) is also
   * refused unless it extends the stored `expiresAt`: a stale or repeated renewal never shortens the term nor logs
   * a second row.
   */
  apply(change: ContractChange): Promise<boolean>;
  get(id: string): Promise<StoredContract | undefined>;
  /** Every contract of the service, ended ones included, oldest first. */
  listByService(serviceId: string): Promise<StoredContract[]>;
  /** Contracts not in a final phase (released, expired, broken), optionally of one role and/or peer; oldest first. */
  listLive(filter?: { role?: ContractRole; peer?: string }): Promise<StoredContract[]>;
  /** The contract's history rows, oldest first (empty for an unknown id). */
  history(id: string): Promise<ContractHistoryEntry[]>;
  /** Records the local replica service deployed under the contract. `not-found` DomainError for an unknown id. */
  setLocalService(id: string, serviceId: string): Promise<void>;
  /**
   * Replaces the replica site's last report (last write wins; `updatedAt` is left alone, it dates phase changes).
   * `not-found` DomainError for an unknown id.
   */
  setReplicaReport(id: string, report: ReplicaReport): Promise<void>;
}
