/**
 * A failover test bench: the deploy bench (three simulated hosts in three racks, in-memory stores, virtual time)
 * with a service deployed, the reconcile loop feeding the failover supervisor, and the real recovery executor
 * wrapped so tests can count the actions. Timers never fire: tests drive passes, ticks and the clock.
 * Imported as @reservoir/testing/failover-bench by the application specs.
 */
import { type ServiceDefinition } from '@reservoir/domain/manifest/service-definition';
import { type FailoverSettingsInput, type RecoveryAction, resolveFailoverSettings } from '@reservoir/domain/protection/failover';
import { type VeeRecord } from '@reservoir/domain/vee/vee-record';
import { type CheckpointRecovery } from '@reservoir/application/protection/checkpoint-recovery';
import { FailoverSupervisor } from '@reservoir/application/protection/failover-supervisor';
import { RecoveryExecutor } from '@reservoir/application/protection/recovery-executor';
import { SiteReconciler } from '@reservoir/application/reconcile/site-reconciler';
import { deployBench } from './deploy-bench';
import { webShopDefinition } from './deploy-builders';

export interface FailoverBenchOptions {
  definition?: ServiceDefinition;
  settings?: FailoverSettingsInput;
  checkpoints?: CheckpointRecovery;
}

export async function failoverBench(options: FailoverBenchOptions = {}) {
  const b = await deployBench();
  const service = await b.submit(options.definition ?? webShopDefinition());
  await b.deploy.execute(service.id);
  const manual = { scheduler: () => () => undefined };
  const actions: RecoveryAction[] = [];
  const real = new RecoveryExecutor(b.deps, options.checkpoints);
  const executor: Pick<RecoveryExecutor, 'execute'> = {
    execute: (action, vee, svc) => {
      actions.push(action);
      return real.execute(action, vee, svc);
    },
  };
  const settings = resolveFailoverSettings(options.settings);
  const supervisor = new FailoverSupervisor(b.deps, executor, { settings, ...manual });
  const reconciler = new SiteReconciler(b.deps, { periodMs: 1000, ...manual }, supervisor);
  const list = await b.vees.listByService(service.id);
  const vee = (tier: string, index = 0): VeeRecord => {
    const found = list.find((v) => v.tier === tier && v.index === index);
    if (!found) throw new Error(`no VEE ${tier}/${index}`);
    return found;
  };
  /** One reconcile pass over every host, then until the actions it started are done. */
  const pass = async (): Promise<void> => {
    await reconciler.runOnce();
    await supervisor.idle();
  };
  /** Moves the clock on, ticks the machines and waits for the actions the tick started. */
  const wait = async (ms: number): Promise<void> => {
    b.clock.advance(ms);
    supervisor.tick();
    await supervisor.idle();
  };
  /** The VEE's phases, oldest first. */
  const phases = async (id: string): Promise<string[]> => (await b.vees.history(service.id)).filter((h) => h.veeId === id).map((h) => h.to);
  const servicePhase = async (): Promise<string | undefined> => (await b.services.get(service.id))?.phase;
  const domainState = async (host: string, domain: string): Promise<string> => {
    const found = (await (await b.sim.connect(`sim://${host}`)).list()).find((d) => d.name === domain);
    return found?.state ?? 'missing';
  };
  return { ...b, service, settings, supervisor, reconciler, executor: real, actions, list, vee, pass, wait, phases, servicePhase, domainState };
}
