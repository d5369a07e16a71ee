import { MemorySeenMessages } from './memory-seen-messages';

describe('MemorySeenMessages', () => {
  it('remembers (sender, id) once, forgets one, and forgets by age', async () => {
    const seen = new MemorySeenMessages();
    const t = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
    await expect(seen.remember('m1', 'a', t(0))).resolves.toBe(true);
    await expect(seen.remember('m1', 'a', t(0))).resolves.toBe(false);
    await expect(seen.remember('m1', 'b', t(5))).resolves.toBe(true);
    await seen.forget('m1', 'a');
    await expect(seen.remember('m1', 'a', t(0))).resolves.toBe(true);
    await expect(seen.forgetBefore(t(5))).resolves.toBe(1);
    await expect(seen.remember('m1', 'b', t(5))).resolves.toBe(false);
    expect(seen.size).toBe(1);
  });
});
