import { MemoryEventBus } from './memory-event-bus';

describe('MemoryEventBus', () => {
  it('delivers each message once per consumer group, in publish order', async () => {
    const bus = new MemoryEventBus();
    const a: string[] = [];
    const b: string[] = [];
    await bus.subscribe('t', 'group-a', async (m) => void a.push(m.value));
    await bus.subscribe('t', 'group-a', async (m) => void a.push(`dup:${m.value}`));
    await bus.subscribe('t', 'group-b', async (m) => void b.push(m.value));
    await bus.subscribe('other', 'group-a', async () => void a.push('wrong topic'));
    for (const v of ['1', '2', '3']) await bus.publish({ topic: 't', key: 'k', value: v });
    await bus.drain();
    expect(a).toEqual(['1', '2', '3']);
    expect(b).toEqual(['1', '2', '3']);
  });

  it('retries a failing handler and reports a message it gave up on', async () => {
    const dead: string[] = [];
    const bus = new MemoryEventBus((m) => void dead.push(m.value), 3);
    let calls = 0;
    await bus.subscribe('t', 'g', async (m) => {
      calls++;
      if (m.value === 'poison' || calls === 1) throw new Error('boom');
    });
    await bus.publish({ topic: 't', key: 'k', value: 'ok-after-retry' });
    await bus.publish({ topic: 't', key: 'k', value: 'poison' });
    await bus.drain();
    expect(calls).toBe(2 + 3);
    expect(dead).toEqual(['poison']);
  });

  it('refuses to publish after close and fails its ping', async () => {
    const bus = new MemoryEventBus();
    await bus.close();
    await expect(bus.publish({ topic: 't', key: 'k', value: 'v' })).rejects.toThrow('bus closed');
    await expect(bus.ping()).rejects.toThrow('bus closed');
  });
});
