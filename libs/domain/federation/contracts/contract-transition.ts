/**
 * The one way a contract changes: pure functions that return the new record and the history row to persist
 * with it, or throw a `conflict` DomainError naming the contract, both phases and what is legal instead.
 */
import { DomainError } from '../../shared/domain-error';
import { CONTRACT_TRANSITIONS, canTransitionContract, holdsCapacity, type ContractPhase } from './contract-phase';
import { type ContractActor, type ContractChange, type ContractRecord } from './contract-record';

export interface TransitionOptions {
  at: Date;
  reason: string;
  by: ContractActor;
  /** A new `expiresAt`, only on a move into offered/awarded/active (an offer's validity, an award's term). */
  expiresAt?: Date;
}

/** The fields of a new contract; it opens `proposed` (a provider considering a CFP) or `offered` (a consumer holding an offer). */
export type NewContract = Omit<ContractRecord, 'phase' | 'createdAt' | 'updatedAt'> & { phase: 'proposed' | 'offered' };

export function openContract(fields: NewContract, opts: Omit<TransitionOptions, 'expiresAt'>): ContractChange {
  if (!(Number.isFinite(fields.pricePerHour) && fields.pricePerHour >= 0)) {
    throw new DomainError('invalid-input', `contract ${fields.id}: price per hour must be a non-negative number (got ${fields.pricePerHour})`);
  }
  if (opts.at.getTime() >= fields.expiresAt.getTime()) {
    throw new DomainError('conflict', `contract ${fields.id} cannot open ${fields.phase}: it lapsed at ${fields.expiresAt.toISOString()}`);
  }
  const contract: ContractRecord = { ...fields, tiers: [...fields.tiers], createdAt: opts.at, updatedAt: opts.at };
  return { contract, entry: entryOf(contract, null, opts) };
}

/**
 * Moves the contract to `to`. Besides the table (CONTRACT_TRANSITIONS): `expired` only once `expiresAt` has
 * passed, and a move into a phase that holds capacity only before its (new) `expiresAt`, so a lapsed offer
 * cannot be awarded.
 */
export function transitionContract(contract: ContractRecord, to: ContractPhase, opts: TransitionOptions): ContractChange {
  const from = contract.phase;
  const name = `contract ${contract.id} (service ${contract.serviceId}, peer ${contract.peer})`;
  if (!canTransitionContract(from, to)) {
    const legal = CONTRACT_TRANSITIONS[from];
    const instead = legal.length === 0 ? `${from} is final` : `from ${from} it can move to ${legal.join(', ')}`;
    throw new DomainError('conflict', `${name} cannot move from ${from} to ${to}: ${instead}`);
  }
  if (opts.expiresAt !== undefined && !holdsCapacity(to)) {
    throw new DomainError('invalid-input', `${name}: a new expiry applies only to a move into offered, awarded or active, not ${to}`);
  }
  const expiresAt = opts.expiresAt ?? contract.expiresAt;
  const at = opts.at.getTime();
  if (to === 'expired' && at < expiresAt.getTime()) {
    throw new DomainError('conflict', `${name} cannot expire before ${expiresAt.toISOString()}`);
  }
  if (holdsCapacity(to) && at >= expiresAt.getTime()) {
    throw new DomainError('conflict', `${name} cannot move from ${from} to ${to}: it lapsed at ${expiresAt.toISOString()}`);
  }
  const next: ContractRecord = { ...contract, phase: to, expiresAt, updatedAt: opts.at };
  return { contract: next, entry: entryOf(next, from, opts) };
}

/** Every live contract whose `expiresAt` is at or before `now`, moved to `expired` (input order). */
export function expireDue(contracts: readonly ContractRecord[], now: Date): ContractChange[] {
  return contracts
    .filter((c) => canTransitionContract(c.phase, 'expired') && c.expiresAt.getTime() <= now.getTime())
    .map((c) => transitionContract(c, 'expired', { at: now, by: 'expiry', reason: EXPIRY_REASONS[c.phase] ?? 'lapsed' }));
}

const EXPIRY_REASONS: Partial<Record<ContractPhase, string>> = {
  proposed: 'call for proposals deadline passed without an offer',
  offered: 'offer not awarded within its validity',
  awarded: 'term ended before the contract became active',
  active: 'term ended without renewal',
};

/** Every contract with the dead site that has not ended, moved to `broken` (input order). */
export function breakContractsOf(contracts: readonly ContractRecord[], deadSite: string, now: Date): ContractChange[] {
  return contracts
    .filter((c) => c.peer === deadSite && canTransitionContract(c.phase, 'broken'))
    .map((c) => transitionContract(c, 'broken', { at: now, by: 'liveness', reason: `peer site ${deadSite} declared dead` }));
}

/**
 * Extends an awarded or active contract's term to `newExpiry` (ContractRenew). Refused when the contract is in
 * another phase, has already lapsed (expire it instead), or the new term does not extend the current one.
 * Logged as a history row from the phase to itself.
 */
export function renew(contract: ContractRecord, newExpiry: Date, now: Date, by: ContractActor = 'negotiation'): ContractChange {
  const name = `contract ${contract.id} (service ${contract.serviceId}, peer ${contract.peer})`;
  if (contract.phase !== 'awarded' && contract.phase !== 'active') {
    throw new DomainError('conflict', `${name} cannot be renewed while ${contract.phase}: only awarded or active contracts can`);
  }
  if (now.getTime() >= contract.expiresAt.getTime()) {
    throw new DomainError('conflict', `${name} cannot be renewed: it lapsed at ${contract.expiresAt.toISOString()}`);
  }
  if (newExpiry.getTime() <= contract.expiresAt.getTime()) {
    throw new DomainError('conflict', `${name}: a renewal must extend the term beyond ${contract.expiresAt.toISOString()} (got ${newExpiry.toISOString()})`);
  }
  const next: ContractRecord = { ...contract, expiresAt: newExpiry, updatedAt: now };
  return { contract: next, entry: entryOf(next, contract.phase, { at: now, by, reason: `renewed until ${newExpiry.toISOString()}` }) };
}

function entryOf(c: ContractRecord, from: ContractPhase | null, opts: Pick<TransitionOptions, 'at' | 'reason' | 'by'>): ContractChange['entry'] {
  return { contractId: c.id, serviceId: c.serviceId, from, to: c.phase, reason: opts.reason, by: opts.by, at: opts.at, expiresAt: c.expiresAt };
}
