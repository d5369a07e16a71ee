import { MemoryEventBus } from '@reservoir/adapters/bus/memory-event-bus';
import { type ServiceDefinition } from '@reservoir/domain/manifest/service-definition';
import { FakeClock, InMemoryServiceStore, SequentialIds } from '@reservoir/testing/fakes';
import { InMemoryVeeStore } from '@reservoir/testing/fakes-deploy';
import { ManifestRejectedError, SubmitService } from './submit-service';
import { ServiceQueries, parsePaging } from './service-queries';
import { SERVICE_EVENTS_TOPIC } from './service-events';
import { DomainError } from '@reservoir/domain/shared/domain-error';

const definition = (name: string): ServiceDefinition => ({ name, version: '1', tiers: [], relations: [], qos: { replicas: 0 } });

type ScriptedAnswer = ServiceDefinition | { errors: { path: string; message: string }[]; tooLarge?: boolean };

/** A validator fake that answers what the test scripted and fails on anything else. */
function scriptedValidator(answers: Map<string, ScriptedAnswer>) {
  return {
    async validate(input: Uint8Array | string) {
      const text = typeof input === 'string' ? input : Buffer.from(input).toString('utf8');
      const answer = answers.get(text);
      if (answer === undefined) throw new Error(`unexpected validate(${JSON.stringify(text)})`);
      if ('errors' in answer) return { ok: false as const, errors: answer.errors, tooLarge: answer.tooLarge };
      return { ok: true as const, definition: answer, xml: text };
    },
  };
}

describe('SubmitService and ServiceQueries', () => {
  const setup = () => {
    const store = new InMemoryServiceStore();
    const bus = new MemoryEventBus();
    const events: string[] = [];
    const clock = new FakeClock();
    const validator = scriptedValidator(
      new Map<string, ScriptedAnswer>([
        ['good', definition('shop')],
        ['bad', { errors: [{ path: '/service/@name', message: 'missing' }] }],
        ['huge', { errors: [{ path: '/', message: 'too large' }], tooLarge: true }],
      ]),
    );
    const accepted: string[] = [];
    const submit = new SubmitService('site-a', validator, store, bus, clock, new SequentialIds(), (r) => accepted.push(r.id));
    const queries = new ServiceQueries(store, new InMemoryVeeStore());
    return { store, bus, events, clock, submit, queries, accepted, subscribe: () => bus.subscribe(SERVICE_EVENTS_TOPIC, 'test', async (m) => void events.push(m.value)) };
  };

  it('stores an accepted manifest with its bytes and first history entry, then announces it', async () => {
    const t = setup();
    await t.subscribe();
    const record = await t.submit.execute(Buffer.from('good'));
    expect(record).toMatchObject({ id: '00000000-0000-4000-8000-000000000001', siteId: 'site-a', name: 'shop', phase: 'accepted' });
    expect(Buffer.from((await t.store.get(record.id))!.manifest).toString()).toBe('good');
    expect(await t.store.history(record.id)).toEqual([{ from: null, to: 'accepted', reason: 'manifest accepted', at: t.clock.now() }]);
    await t.bus.drain();
    expect(t.events.map((e) => JSON.parse(e))).toEqual([
      expect.objectContaining({ type: 'ServicePhaseChanged', serviceId: record.id, from: null, to: 'accepted' }),
    ]);
    expect(t.accepted).toEqual([record.id]);
  });

  it('rejects an invalid manifest with every error and stores nothing', async () => {
    const t = setup();
    await expect(t.submit.execute(Buffer.from('bad'))).rejects.toMatchObject({ code: 'invalid-input', tooLarge: false, details: [{ path: '/service/@name', message: 'missing' }] });
    await expect(t.submit.execute(Buffer.from('huge'))).rejects.toBeInstanceOf(ManifestRejectedError);
    await expect(t.submit.execute(Buffer.from('huge'))).rejects.toMatchObject({ tooLarge: true });
    expect(t.store.records.size).toBe(0);
    expect(t.accepted).toEqual([]);
  });

  it('answers not-found for unknown and malformed ids without asking the store', async () => {
    const t = setup();
    const get = jest.spyOn(t.store, 'get');
    await expect(t.queries.get('nope')).rejects.toMatchObject({ code: 'not-found' });
    expect(get).not.toHaveBeenCalled();
    await expect(t.queries.get('00000000-0000-4000-8000-000000000009')).rejects.toMatchObject({ code: 'not-found' });
    await expect(t.queries.events('00000000-0000-4000-8000-000000000009')).rejects.toBeInstanceOf(DomainError);
  });

  it('merges service and VEE transitions in time order', async () => {
    const t = setup();
    const record = await t.submit.execute(Buffer.from('good'));
    expect(await t.queries.events(record.id)).toEqual([
      { at: t.clock.now(), subject: 'service', id: record.id, from: null, to: 'accepted', reason: 'manifest accepted' },
    ]);
    expect(await t.queries.vees(record.id)).toEqual([]);
  });

  it('parses paging and names each bad parameter', () => {
    expect(parsePaging(undefined, undefined)).toEqual({ limit: 50, offset: 0 });
    expect(parsePaging('10', '20')).toEqual({ limit: 10, offset: 20 });
    expect(() => parsePaging('501', '-1')).toThrow(DomainError);
    try {
      parsePaging('501', 'x');
    } catch (e) {
      expect((e as DomainError).details.map((d) => d.path)).toEqual(['/?limit', '/?offset']);
    }
  });
});
