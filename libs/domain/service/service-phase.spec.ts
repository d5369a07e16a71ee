import { type ServiceEvent, type ServicePhase, isFinalPhase, transitionService } from './service-phase';

describe('transitionService', () => {
  const table: [ServicePhase | undefined, ServiceEvent, ServicePhase | undefined][] = [
    [undefined, { type: 'submitted' }, 'accepted'],
    ['accepted', { type: 'submitted' }, undefined],
    ['accepted', { type: 'placement-started' }, 'placing'],
    ['placing', { type: 'deploy-started' }, 'deploying'],
    ['deploying', { type: 'all-running' }, 'running'],
    ['running', { type: 'member-failed', reason: 'vee lost' }, 'degraded'],
    ['degraded', { type: 'all-running' }, 'running'],
    ['running', { type: 'evacuation-started' }, 'evacuating'],
    ['evacuating', { type: 'all-running' }, 'running'],
    ['running', { type: 'failover-started' }, 'failing-over'],
    ['accepted', { type: 'all-running' }, undefined],
    ['placing', { type: 'gave-up', reason: 'no capacity' }, 'failed'],
    ['failed', { type: 'placement-started' }, 'placing'],
    ['running', { type: 'delete-requested' }, 'deleting'],
    ['deleting', { type: 'delete-requested' }, undefined],
    ['deleting', { type: 'torn-down' }, 'deleted'],
    ['deleted', { type: 'gave-up', reason: 'x' }, undefined],
    ['deleted', { type: 'delete-requested' }, undefined],
  ];

  it.each(table)('%s + %j -> %s', (from, event, to) => {
    expect(transitionService(from, event)?.next).toBe(to);
  });

  it('carries the failure reason into the transition', () => {
    expect(transitionService('running', { type: 'member-failed', reason: 'host h1 down' })).toEqual({ next: 'degraded', reason: 'host h1 down' });
  });

  it('treats only deleted as final', () => {
    expect(isFinalPhase('deleted')).toBe(true);
    expect(isFinalPhase('failed')).toBe(false);
  });
});
