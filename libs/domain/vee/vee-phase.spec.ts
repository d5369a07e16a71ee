import { type VeeEvent, type VeePhase, holdsDomain, isFinalVeePhase, transitionVee } from './vee-phase';

const PHASES: VeePhase[] = ['defined', 'starting', 'running', 'paused', 'checkpointing', 'migrating', 'failed', 'recovering', 'lost', 'deleted'];

describe('transitionVee', () => {
  const table: [VeePhase | undefined, VeeEvent, VeePhase | undefined][] = [
    [undefined, { type: 'defined' }, 'defined'],
    ['defined', { type: 'defined' }, undefined],
    ['defined', { type: 'start-requested' }, 'starting'],
    ['starting', { type: 'started' }, 'running'],
    ['defined', { type: 'started' }, undefined],
    ['running', { type: 'paused' }, 'paused'],
    ['paused', { type: 'resumed' }, 'running'],
    ['running', { type: 'resumed' }, undefined],
    ['running', { type: 'checkpoint-started' }, 'checkpointing'],
    ['checkpointing', { type: 'checkpoint-done' }, 'running'],
    ['running', { type: 'migration-started' }, 'migrating'],
    ['migrating', { type: 'migration-done' }, 'running'],
    ['paused', { type: 'migration-started' }, undefined],
    ['running', { type: 'crashed', reason: 'x' }, 'failed'],
    ['starting', { type: 'crashed', reason: 'x' }, 'failed'],
    ['defined', { type: 'crashed', reason: 'x' }, undefined],
    ['failed', { type: 'recovery-started', reason: 'x' }, 'recovering'],
    ['running', { type: 'recovery-started', reason: 'x' }, undefined],
    ['running', { type: 'rollback-started', reason: 'x' }, 'recovering'],
    ['failed', { type: 'rollback-started', reason: 'x' }, undefined],
    ['checkpointing', { type: 'rollback-started', reason: 'x' }, undefined],
    ['checkpointing', { type: 'crashed', reason: 'x' }, 'failed'],
    ['paused', { type: 'checkpoint-started' }, undefined],
    ['recovering', { type: 'started' }, 'running'],
    ['failed', { type: 'started' }, 'running'],
    ['recovering', { type: 'recovery-failed', reason: 'x' }, 'failed'],
    ['failed', { type: 'gave-up', reason: 'x' }, 'lost'],
    ['recovering', { type: 'gave-up', reason: 'x' }, 'lost'],
    ['running', { type: 'gave-up', reason: 'x' }, undefined],
    ['lost', { type: 'started' }, undefined],
    ['running', { type: 'removed', reason: 'x' }, 'deleted'],
    ['lost', { type: 'removed', reason: 'x' }, 'deleted'],
    ['deleted', { type: 'removed', reason: 'x' }, undefined],
    [undefined, { type: 'removed', reason: 'x' }, undefined],
  ];

  it.each(table)('%s + %j -> %s', (from, event, to) => {
    expect(transitionVee(from, event)?.next).toBe(to);
  });

  it('carries the event reason into the transition', () => {
    expect(transitionVee('running', { type: 'crashed', reason: 'domain crashed on h1' })).toEqual({ next: 'failed', reason: 'domain crashed on h1' });
  });

  it('never leaves deleted, and every other phase can be removed', () => {
    const events: VeeEvent[] = [
      { type: 'defined' }, { type: 'start-requested' }, { type: 'started' }, { type: 'resumed' }, { type: 'checkpoint-done' },
      { type: 'migration-done' }, { type: 'recovery-started', reason: 'r' }, { type: 'rollback-started', reason: 'r' }, { type: 'gave-up', reason: 'g' },
    ];
    for (const e of events) expect(transitionVee('deleted', e)).toBeUndefined();
    for (const p of PHASES.filter((x) => x !== 'deleted')) expect(transitionVee(p, { type: 'removed', reason: 'r' })?.next).toBe('deleted');
  });

  it('treats only deleted as final and lost/deleted as holding no domain', () => {
    expect(PHASES.filter(isFinalVeePhase)).toEqual(['deleted']);
    expect(PHASES.filter((p) => !holdsDomain(p))).toEqual(['lost', 'deleted']);
  });
});
