/**
 * A contract's lifecycle phase (ARCHITECTURE.md, "Lifecycles"): proposed → offered → awarded → active →
 * (released | expired | broken). The whole transition table is written out below; one pure function
 * (`transitionContract`, contract-transition.ts) applies it.
 */
export type ContractPhase = 'proposed' | 'offered' | 'awarded' | 'active' | 'released' | 'expired' | 'broken';

export const CONTRACT_PHASES: readonly ContractPhase[] = ['proposed', 'offered', 'awarded', 'active', 'released', 'expired', 'broken'];

/**
 * Legal moves, `from → [to, ...]`. Forward one step at a time along the negotiation, or to an end from any
 * phase that is not one:
 * - `released`: ended on purpose by either side (offer rejected, service deleted, contract released);
 * - `expired`: `expiresAt` passed (a CFP's deadline, an offer's validity, the contract's term);
 * - `broken`: the peer was declared dead (or broke the protocol).
 * No phase moves to itself; the three ends never move again.
 */
export const CONTRACT_TRANSITIONS: Readonly<Record<ContractPhase, readonly ContractPhase[]>> = {
  proposed: ['offered', 'released', 'expired', 'broken'],
  offered: ['awarded', 'released', 'expired', 'broken'],
  awarded: ['active', 'released', 'expired', 'broken'],
  active: ['released', 'expired', 'broken'],
  released: [],
  expired: [],
  broken: [],
};

export function canTransitionContract(from: ContractPhase, to: ContractPhase): boolean {
  return CONTRACT_TRANSITIONS[from].includes(to);
}

/** released, expired and broken: the contract never moves again and holds nothing. */
export function isFinalContractPhase(phase: ContractPhase): boolean {
  return CONTRACT_TRANSITIONS[phase].length === 0;
}

/**
 * Phases in which a provider holds capacity for the contract (its ledger reservation): from the offer it
 * sends until the contract ends. A `proposed` contract (a CFP under consideration) holds nothing yet.
 */
export function holdsCapacity(phase: ContractPhase): boolean {
  return phase === 'offered' || phase === 'awarded' || phase === 'active';
}
