import { type EventJson, type ServiceJson } from '../service-format';
import { type ApiAnswer } from './broker-client';
import { EventFeed, type WatchDeps, watchService } from './watch.command';

const SID = '22222222-2222-4222-8222-222222222222';
const VEE = '33333333-3333-4333-8333-333333333333';
const at = (s: number): string => new Date(Date.UTC(2025, 2, 1, 10, 0, s)).toISOString();

const ev = (s: number, subject: 'service' | 'vee', from: string | null, to: string, reason: string): EventJson => ({
  at: at(s), subject, id: subject === 'service' ? SID : VEE, from, to, reason,
});

interface State {
  service?: ServiceJson;
  events: EventJson[];
}

/**
 * A broker in virtual time: each `sleep` advances the clock and applies the next scripted change. Only the two
 * endpoints `watch` reads answer; anything else fails the test.
 */
function fakeBroker(initial: State, script: ((s: State) => void)[]) {
  const state = initial;
  let clock = 0;
  const sleeps: number[] = [];
  const reads: string[] = [];
  const answer = (status: number, body: unknown): ApiAnswer => ({ status, body, text: JSON.stringify(body) });
  const notFound = () => answer(404, { errors: [{ path: '/id', message: `no service with id '${SID}'` }] });
  const deps: WatchDeps = {
    now: () => clock,
    sleep: async (ms) => {
      sleeps.push(ms);
      clock += ms;
      script.shift()?.(state);
    },
    api: {
      request: async (method, path) => {
        reads.push(path);
        if (method !== 'GET') throw new Error(`unexpected ${method} ${path}`);
        if (path === `/v1/services/${SID}`) return state.service ? answer(200, structuredClone(state.service)) : notFound();
        if (path === `/v1/services/${SID}/events`) return state.service ? answer(200, { items: [...state.events] }) : notFound();
        throw new Error(`unexpected GET ${path}`);
      },
    },
  };
  return { deps, sleeps, reads, state };
}

function capture() {
  const out: string[] = [];
  const errs: string[] = [];
  return { out, errs, log: (l: string) => void out.push(l), err: (l: string) => void errs.push(l) };
}

const svc = (phase: string, vees: ServiceJson['vees'] = [], over: Partial<ServiceJson> = {}): ServiceJson => ({
  id: SID, name: 'counter', phase, tiers: [{ name: 'counter' }], createdAt: at(0), updatedAt: at(0), vees, ...over,
});
const vee = (phase: string) => ({ id: VEE, tier: 'counter', index: 0, host: 'h1', phase, role: 'active' });

describe('watchService', () => {
  it('prints each transition once, as it appears, and exits 0 once the service runs', async () => {
    const b = fakeBroker({ service: svc('accepted'), events: [ev(0, 'service', null, 'accepted', 'manifest accepted')] }, [
      () => {}, // a poll with nothing new
      (s) => {
        s.service = svc('deploying', [vee('defined')]);
        s.events.push(ev(1, 'service', 'accepted', 'placing', 'placement started'), ev(2, 'service', 'placing', 'deploying', 'placement found'));
        s.events.push(ev(2, 'vee', null, 'defined', 'domain defined'));
      },
      (s) => {
        s.service = svc('running', [vee('running')], { phaseHistory: [{ from: 'deploying', to: 'running', reason: 'every VEE running', at: at(4) }] });
        s.events.push(ev(3, 'vee', 'defined', 'starting', 'start requested'), ev(4, 'vee', 'starting', 'running', 'domain running'));
        s.events.push(ev(4, 'service', 'deploying', 'running', 'every VEE running'));
      },
    ]);
    const io = capture();
    expect(await watchService(SID, { intervalMs: 500, timeoutMs: 60000 }, io, b.deps)).toBe(0);
    expect(io.out).toEqual([
      `${at(0)}  service               — → accepted  manifest accepted`,
      `${at(1)}  service               accepted → placing  placement started`,
      `${at(2)}  service               placing → deploying  placement found`,
      `${at(2)}  vee counter/0         — → defined  domain defined`,
      `${at(3)}  vee counter/0         defined → starting  start requested`,
      `${at(4)}  vee counter/0         starting → running  domain running`,
      `${at(4)}  service               deploying → running  every VEE running`,
      `service counter (${SID}) running: 1 of 1 VEE(s) running`,
    ]);
    expect(io.errs).toEqual([]);
    expect(b.sleeps).toEqual([500, 500, 500]);
  });

  it('exits 1 for a failed service, with its placement errors', async () => {
    const placementErrors = [{ tier: 'counter', reasons: ['0 of 1 VEE(s) placed', 'host h1: VEE needs 65536 MiB memory, 16384 free'] }];
    const b = fakeBroker({ service: svc('placing'), events: [ev(0, 'service', 'accepted', 'placing', 'placement started')] }, [
      (s) => {
        s.service = svc('failed', [], { placementErrors });
        s.events.push(ev(1, 'service', 'placing', 'failed', 'cannot place: tier counter: ...'));
      },
    ]);
    const io = capture();
    expect(await watchService(SID, { intervalMs: 100, timeoutMs: 0 }, io, b.deps)).toBe(1);
    expect(io.out.at(-1)).toBe(`${at(1)}  service               placing → failed  cannot place: tier counter: ...`);
    expect(io.errs.join('\n')).toBe(
      [`service counter (${SID}) failed: it cannot be placed`, 'placement errors:', '  tier counter:', '    0 of 1 VEE(s) placed', '    host h1: VEE needs 65536 MiB memory, 16384 free'].join('\n'),
    );
  });

  it('exits 0 when the service it was following is deleted (404 after it was seen)', async () => {
    const b = fakeBroker({ service: svc('deleting'), events: [ev(0, 'service', 'running', 'deleting', 'delete requested')] }, [(s) => delete s.service]);
    const io = capture();
    expect(await watchService(SID, { intervalMs: 100, timeoutMs: 0 }, io, b.deps)).toBe(0);
    expect(io.out.at(-1)).toBe(`service counter (${SID}) deleted`);
  });

  it('exits 1 naming the id when the broker does not know it', async () => {
    const b = fakeBroker({ events: [] }, []);
    const io = capture();
    expect(await watchService(SID, { intervalMs: 100, timeoutMs: 0 }, io, b.deps)).toBe(1);
    expect(io.errs.join('\n')).toMatch(/404[\s\S]*no service with id/);
    expect(io.out).toEqual([]);
  });

  it('gives up at the timeout with exit 1, never sleeping past it', async () => {
    const b = fakeBroker({ service: svc('deploying'), events: [] }, []);
    const io = capture();
    expect(await watchService(SID, { intervalMs: 400, timeoutMs: 1000 }, io, b.deps)).toBe(1);
    expect(b.sleeps).toEqual([400, 400, 200]);
    expect(io.errs).toEqual([`timed out after 1.0 s: service counter (${SID}) is still deploying`]);
  });

  it('reads the service once more to name a VEE that the log shows before the view listed it', async () => {
    const b = fakeBroker({ service: svc('deploying'), events: [] }, []);
    const read = b.deps.api.request;
    let first = true;
    b.deps.api.request = async (method, path) => {
      if (path.endsWith('/events') && first) {
        first = false;
        b.state.service = svc('running', [vee('running')]);
        b.state.events.push(ev(1, 'vee', null, 'defined', 'domain defined'));
      }
      return read(method, path);
    };
    const io = capture();
    await watchService(SID, { intervalMs: 100, timeoutMs: 0 }, io, b.deps);
    expect(io.out[0]).toContain('vee counter/0 ');
    expect(b.reads).toEqual([`/v1/services/${SID}`, `/v1/services/${SID}/events`, `/v1/services/${SID}`, `/v1/services/${SID}`, `/v1/services/${SID}/events`]);
  });
});

describe('EventFeed', () => {
  it('returns only what is new, including an item that lands mid-log and a repeat of an identical transition', () => {
    const feed = new EventFeed();
    const a = ev(0, 'service', null, 'accepted', 'x');
    const c = ev(5, 'vee', 'running', 'failed', 'crashed');
    expect(feed.fresh([a, c])).toEqual([a, c]);
    const b = ev(3, 'vee', null, 'defined', 'domain defined');
    expect(feed.fresh([a, b, c])).toEqual([b]);
    expect(feed.fresh([a, b, c, c])).toEqual([c]);
    expect(feed.fresh([a, b, c, c])).toEqual([]);
  });
});
