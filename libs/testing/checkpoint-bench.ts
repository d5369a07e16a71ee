/**
 * A checkpoint test bench: the deploy bench (three sim hosts, in-memory stores, the real use cases) plus the
 * in-memory checkpoint store and the real CheckpointService. `deployShop` deploys web → app → db (and, when asked,
 * an independent `batch` tier) and returns the VEEs by tier. Imported as @reservoir/testing/checkpoint-bench.
 */
import { type ProtectionLevel, type ServiceDefinition } from '@reservoir/domain/manifest/service-definition';
import { type VeeRecord } from '@reservoir/domain/vee/vee-record';
import { type CheckpointDeps } from '@reservoir/application/protection/checkpoint-deps';
import { CheckpointService } from '@reservoir/application/protection/checkpoint-service';
import { deployBench } from './deploy-bench';
import { deployTier, webShopDefinition } from './deploy-builders';
import { FakeCheckpointStore } from './fakes-protection';

export const CHECKPOINT_DIR = '/var/lib/rsv/checkpoints';

export interface ShopOptions {
  name?: string;
  /** Adds a tier `batch` that no relation touches (an independent part of the service). */
  batch?: boolean;
  protection?: Partial<Record<string, { level: ProtectionLevel; intervalMs?: number }>>;
}

export async function checkpointBench(options: { keep?: number } = {}) {
  const b = await deployBench();
  const store = new FakeCheckpointStore();
  const deps: CheckpointDeps = { ...b.deps, checkpoints: store, settings: { siteId: 'test', dir: CHECKPOINT_DIR, keep: options.keep ?? 3 } };
  const checkpoints = new CheckpointService(deps);

  const shopDefinition = (o: ShopOptions = {}): ServiceDefinition => {
    const base = webShopDefinition(o.name ?? 'shop');
    const tiers = [...base.tiers, ...(o.batch ? [deployTier('batch')] : [])].map((t) => {
      const p = o.protection?.[t.name];
      return p ? { ...t, qos: { ...t.qos, protection: p.level, ...(p.intervalMs === undefined ? {} : { checkpointIntervalMs: p.intervalMs }) } } : t;
    });
    return { ...base, tiers };
  };

  /** Deploys the shop; `byTier(t)` lists that tier's VEEs (index order). */
  const deployShop = async (o: ShopOptions = {}) => {
    const service = await b.submit(shopDefinition(o));
    await b.deploy.execute(service.id);
    const vees = (await b.vees.listByService(service.id)).sort((x, y) => x.tier.localeCompare(y.tier) || x.index - y.index);
    const byTier = (tier: string): VeeRecord[] => vees.filter((v) => v.tier === tier);
    const one = (tier: string): VeeRecord => {
      const v = byTier(tier)[0];
      if (!v) throw new Error(`no VEE in tier ${tier}`);
      return v;
    };
    return { service, vees, byTier, one };
  };

  /** A connection to the VEE's sim host. */
  const hostOf = (vee: VeeRecord) => b.sim.connect(`sim://${vee.hostName}`);
  /** The broker's own (pooled) connection to the VEE's host: what the use cases call, so tests can watch it. */
  const pooledHostOf = async (vee: VeeRecord) => {
    const host = await b.hosts.get(vee.hostId);
    if (!host) throw new Error(`no host ${vee.hostId}`);
    return b.deps.connections.get(host);
  };
  /** The VEE's domain state on its host. */
  const stateOf = async (vee: VeeRecord) => (await (await hostOf(vee)).info(vee.domain)).state;
  /** The phases the VEE went through, in order. */
  const phasesOf = (veeId: string): string[] => b.vees.histories.filter((h) => h.veeId === veeId).map((h) => h.to);

  return { ...b, store, checkpointDeps: deps, checkpoints, deployShop, hostOf, pooledHostOf, stateOf, phasesOf };
}
