import { type EventJson, type ServiceJson, SubjectNames, formatEvent, formatService } from './service-format';

const SID = '11111111-1111-4111-8111-111111111111';
const veeId = (n: number): string => `aaaaaaa${n}-0000-4000-8000-000000000000`;
const T0 = '2025-03-01T10:00:00.000Z';
const T1 = '2025-03-01T10:00:02.500Z';

function service(over: Partial<ServiceJson> = {}): ServiceJson {
  return {
    id: SID,
    name: 'web-shop',
    phase: 'running',
    tiers: [{ name: 'web' }, { name: 'db' }],
    createdAt: T0,
    updatedAt: T1,
    phaseHistory: [
      { from: null, to: 'accepted', reason: 'manifest accepted', at: T0 },
      { from: 'deploying', to: 'running', reason: 'every VEE running', at: T1 },
    ],
    vees: [
      { id: veeId(1), tier: 'db', index: 0, host: 'sim-1', phase: 'running', role: 'active', domain: 'rsv-web-shop-db-0', updatedAt: T1 },
      { id: veeId(3), tier: 'web', index: 1, host: 'sim-22', phase: 'starting', role: 'active', domain: 'rsv-web-shop-web-1', updatedAt: T1 },
      { id: veeId(2), tier: 'web', index: 0, host: 'sim-3', phase: 'running', role: 'active', domain: 'rsv-web-shop-web-0', updatedAt: T0 },
    ],
    ...over,
  };
}

describe('formatService (reservoir get)', () => {
  it('prints the header block, then one full-width row per VEE in manifest tier order, then by index', () => {
    expect(formatService(service())).toEqual([
      `service:  ${SID}`,
      'name:     web-shop',
      'phase:    running',
      'reason:   every VEE running',
      'tiers:    web, db',
      `created:  ${T0}`,
      `updated:  ${T1}`,
      '',
      `TIER  VEE                                   HOST    PHASE     ROLE    DOMAIN              SINCE`,
      `web   ${veeId(2)}  sim-3   running   active  rsv-web-shop-web-0  ${T0}`,
      `web   ${veeId(3)}  sim-22  starting  active  rsv-web-shop-web-1  ${T1}`,
      `db    ${veeId(1)}  sim-1   running   active  rsv-web-shop-db-0   ${T1}`,
    ]);
  });

  it('says so when there are no VEEs, and lists placement errors per tier and host instead of the long reason', () => {
    const failed = service({
      phase: 'failed',
      vees: [],
      phaseHistory: [{ from: 'placing', to: 'failed', reason: 'cannot place: tier db: ...', at: T1 }],
      placementErrors: [{ tier: 'db', reasons: ['0 of 1 VEE(s) placed', 'host sim-1: VEE needs 65536 MiB memory, 32768 free'] }],
    });
    const lines = formatService(failed);
    expect(lines).not.toContain('reason:   cannot place: tier db: ...');
    expect(lines.slice(lines.indexOf(''))).toEqual([
      '',
      'no VEEs',
      '',
      'placement errors:',
      '  tier db:',
      '    0 of 1 VEE(s) placed',
      '    host sim-1: VEE needs 65536 MiB memory, 32768 free',
    ]);
  });

  it('leaves unknown optional columns empty rather than printing undefined', () => {
    const lines = formatService(service({ vees: [{ id: veeId(1), tier: 'db', index: 0, host: 'h', phase: 'defined', role: 'active' }], phaseHistory: undefined }));
    expect(lines.join('\n')).not.toMatch(/undefined|reason:/);
    expect(lines.at(-1)).toBe(`db    ${veeId(1)}  h     defined  active`);
  });
});

describe('formatEvent (reservoir watch)', () => {
  const event = (over: Partial<EventJson>): EventJson => ({ at: T0, subject: 'service', id: SID, from: null, to: 'accepted', reason: 'manifest accepted', ...over });

  it('prints time, subject, from → to and reason; a first transition comes from —', () => {
    expect(formatEvent(event({}), new SubjectNames())).toBe(`${T0}  service               — → accepted  manifest accepted`);
  });

  it('names a VEE by tier/index once seen, by its id before', () => {
    const names = new SubjectNames();
    const e = event({ subject: 'vee', id: veeId(3), from: 'defined', to: 'starting', reason: 'start requested' });
    expect(formatEvent(e, names)).toBe(`${T0}  vee ${veeId(3)}  defined → starting  start requested`);
    names.learn(service().vees ?? []);
    expect(names.knows(veeId(3))).toBe(true);
    expect(formatEvent(e, names)).toBe(`${T0}  vee web/1             defined → starting  start requested`);
  });
});
