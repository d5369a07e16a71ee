// Public API of contracts: phases (proposed → offered → awarded → active → released | expired | broken), the one
// transition function with its history rows, and the sweeps (expiry, a dead peer). Pure; see README.md.
export { CONTRACT_PHASES, CONTRACT_TRANSITIONS, canTransitionContract, holdsCapacity, isFinalContractPhase, type ContractPhase } from './contract-phase';
export { type ContractActor, type ContractChange, type ContractHistoryEntry, type ContractRecord, type ContractRole } from './contract-record';
export { breakContractsOf, expireDue, openContract, renew, transitionContract, type NewContract, type TransitionOptions } from './contract-transition';
