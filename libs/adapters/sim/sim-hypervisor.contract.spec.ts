import { type HypervisorContractTarget, hypervisorContract } from '@reservoir/testing/hypervisor-contract';
import { SimHypervisorFactory, type SimHypervisorOptions } from './sim-hypervisor.factory';
import { type SimTimer } from './sim-timer';

/** The shared Hypervisor port contract (libs/testing/hypervisor-contract.ts), run against the simulated hypervisor. */

function simTarget(options: SimHypervisorOptions, prefix: string): () => Promise<HypervisorContractTarget> {
  return async () => {
    const factory = new SimHypervisorFactory(options);
    return {
      factory,
      uri: `sim://${prefix}-a?vcpu=8&memory-mib=4096&disk-gib=100&failure-domain=rack1`,
      uri2: `sim://${prefix}-b?vcpu=8&memory-mib=4096&disk-gib=100&failure-domain=rack2`,
      scratchDir: '/sim/scratch',
      faults: {
        crashDomain: async (uri, name) => factory.crashDomain(uri, name),
        killHost: async (uri) => factory.killHost(uri),
        reviveHost: async (uri) => factory.reviveHost(uri),
        refuseNext: async (uri, operation, error) => factory.refuseNext(uri, operation, error),
      },
      guestState: {
        read: async (uri, name) => factory.guestState(uri, name),
        advance: async (uri, name) => void factory.advanceGuest(uri, name),
      },
      checkpointFiles: {
        corrupt: async (uri, dir, file) => factory.corruptCheckpointFile(uri, dir, file),
        remove: async (uri, dir, file) => factory.deleteCheckpointFile(uri, dir, file),
      },
      cleanup: async () => undefined,
    };
  };
}

/** Virtual time that moves by each sleep's length, one event-loop turn later: operations finish asynchronously. */
function yieldingTimer(): SimTimer {
  let now = 0;
  return {
    now: () => now,
    sleep: (ms) => new Promise((resolve) => setImmediate(() => {
      now += ms;
      resolve();
    })),
  };
}

const instant = { bootMs: 0, shutdownMs: 0, saveMs: 0, restoreMs: 0, migrateMs: 0 };
const all = { migration: true, failureInjection: true, guestState: true, checkpointBundles: true };

hypervisorContract('sim', all, simTarget({ delays: instant }, 'instant'));

// Every operation takes time and completes after the call returned or later: nothing in the suite may rely on
// instant completion (graceful shutdown, events), as with libvirt.
hypervisorContract('sim with delays', all, simTarget({ timer: yieldingTimer(), delays: { bootMs: 250, shutdownMs: 500, saveMs: 2000, restoreMs: 300, migrateMs: 400, checkpointPauseMs: 120 } }, 'slow'));

// Like libvirt's test:///default driver: no migration, so the suite's 'unsupported' branch runs too.
hypervisorContract('sim without migration', { ...all, migration: false }, simTarget({ delays: instant, migration: false }, 'nomig'));
