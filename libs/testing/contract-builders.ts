import { type ContractPhase } from '@reservoir/domain/federation/contracts/contract-phase';
import { type ContractRecord } from '@reservoir/domain/federation/contracts/contract-record';
import { DomainError } from '@reservoir/domain/shared/domain-error';

/** Contract fixtures for the pure contract specs: times are seconds after a fixed instant. */
const T0 = Date.parse('2025-01-01T00:00:00.000Z');

/** The fixed instant plus `s` seconds. */
export const at = (s: number): Date => new Date(T0 + s * 1000);

/** A consumer contract `c1` of service `s1` with peer `b`, in `phase`, lapsing at 100 s. */
export function buildContract(phase: ContractPhase, fields: Partial<ContractRecord> = {}): ContractRecord {
  return {
    id: 'c1',
    serviceId: 's1',
    role: 'consumer',
    peer: 'b',
    tiers: [{ tier: 'web', vcpu: 1, memoryMiB: 1024, diskGiB: 10, instances: 2, protection: 'restart' }],
    pricePerHour: 0.5,
    currency: 'EUR',
    phase,
    expiresAt: at(100),
    createdAt: at(0),
    updatedAt: at(0),
    ...fields,
  };
}

/** The DomainError `fn` throws (any other outcome fails the test). */
export function domainErrorOf(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (e) {
    if (e instanceof DomainError) return e;
    throw e;
  }
  throw new Error('expected a DomainError');
}
