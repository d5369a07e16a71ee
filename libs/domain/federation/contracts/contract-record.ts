/**
 * A contract as a site keeps it: one per (service, peer) negotiation, seen from this site's side.
 */
import { type TierDemand } from '../protocol/envelope';
import { type ContractPhase } from './contract-phase';

/** `consumer`: this site asked (it is the service's primary); `provider`: this site provides the capacity. */
export type ContractRole = 'consumer' | 'provider';

export interface ContractRecord {
  /** The contract id (AwardBody.contractId); also the provider's reservation id in its capacity ledger. */
  id: string;
  serviceId: string;
  role: ContractRole;
  /** The other site: the provider for a consumer, the consumer for a provider. */
  peer: string;
  /** The contracted resources (every tier of the CFP, in full). */
  tiers: TierDemand[];
  pricePerHour: number;
  currency: string;
  phase: ContractPhase;
  /**
   * When the current phase lapses: the CFP's deadline while `proposed`, the offer's `validUntil` while
   * `offered`, the contract's term once `awarded` or `active`. `expireDue` moves a live contract past it to
   * `expired`.
   */
  expiresAt: Date;
  createdAt: Date;
  updatedAt: Date;
}

/** Who moved a contract: negotiation flows, a peer's message, the expiry loop, the failure detector, or a user. */
export type ContractActor = 'negotiation' | 'peer' | 'expiry' | 'liveness' | 'api';

/**
 * One logged move. `from` is null when the contract was opened; a renewal is logged with `from === to`
 * (`active`) so the history also shows every change of term.
 */
export interface ContractHistoryEntry {
  contractId: string;
  serviceId: string;
  from: ContractPhase | null;
  to: ContractPhase;
  reason: string;
  by: ContractActor;
  at: Date;
  /** The contract's `expiresAt` after the move. */
  expiresAt: Date;
}

/** A changed contract with the history row to write alongside it (one transaction). */
export interface ContractChange {
  contract: ContractRecord;
  entry: ContractHistoryEntry;
}
