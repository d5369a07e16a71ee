import { contractStoreContract } from '@reservoir/testing/contract-store-contract';
import { onServerAndPglite } from '@reservoir/testing/store-suite-targets';
import { FakeContractStore } from '@reservoir/testing/fakes-federation';
import { TypeormContractStore } from './typeorm-contract.store';

/**
 * The shared ContractStore suite (libs/testing/contract-store-contract.ts) on the PostgreSQL server, on embedded
 * PGlite and on the in-memory fake. The server runs in a database of its own, so this file never races the e2e
 * tests (or another run) that reset the shared test database.
 */
jest.setTimeout(60000);

onServerAndPglite('TypeormContractStore', 'contract_history, contracts', (ds) => new TypeormContractStore(ds), contractStoreContract);

contractStoreContract('FakeContractStore', { makeStore: async () => new FakeContractStore() });
