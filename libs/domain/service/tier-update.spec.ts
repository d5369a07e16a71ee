import { webShopDefinition } from '@reservoir/testing/deploy-builders';
import { applyTierUpdate, checkTierUpdate, reinstallsTier } from './tier-update';

describe('tier updates', () => {
  const definition = webShopDefinition();
  const tier = definition.tiers[0]?.name as string;

  it('accepts an image, software versions and configuration, and merges them by name', () => {
    const body = { image: { ref: 'counter', sha256: 'a'.repeat(64) }, software: [{ name: 'nginx', version: '1.24' }], configuration: [{ name: 'listen-port', value: '8081' }, { name: 'new', value: 'x' }] };
    const checked = checkTierUpdate(body, definition, tier);
    if (!checked.ok) throw new Error(JSON.stringify(checked.errors));
    const updated = applyTierUpdate(definition, tier, checked.update);
    const t = updated.tiers[0];
    expect(t?.image).toEqual({ ref: 'counter', format: definition.tiers[0]?.image.format, sha256: 'a'.repeat(64) });
    expect(t?.configuration.find((c) => c.name === 'new')).toEqual({ name: 'new', value: 'x' });
    expect(t?.configuration.filter((c) => c.name === 'listen-port')).toEqual([{ name: 'listen-port', value: '8081' }]);
    expect(updated.tiers.slice(1)).toEqual(definition.tiers.slice(1));
    expect(definition.tiers[0]?.image.ref).not.toBe('counter'); // the input is not changed
    expect(reinstallsTier(definition.tiers[0] as never, checked.update)).toBe(true);
    expect(reinstallsTier(definition.tiers[0] as never, { configuration: [{ name: 'a', value: 'b' }] })).toBe(false);
  });

  it.each([
    ['an unknown tier', { configuration: [{ name: 'a', value: 'b' }] }, 'nope', ['/tier']],
    ['not an object', [1, 2], tier, ['/']],
    ['nothing to change', {}, tier, ['/']],
    ['an unknown field', { vcpu: 4 }, tier, ['/vcpu', '/']],
    ['a bad image ref and digest', { image: { ref: '../etc', sha256: 'xyz', extra: 1 } }, tier, ['/image/extra', '/image/ref', '/image/sha256']],
    ['an empty list', { software: [] }, tier, ['/software']],
    ['a duplicate and a bad value', { configuration: [{ name: 'a', value: 'b' }, { name: 'a', value: 1 }] }, tier, ['/configuration/1/value', '/configuration/1/name']],
    ['a control character in a name', { software: [{ name: 'x\u0000', version: '1' }] }, tier, ['/software/0/name']],
  ])('rejects %s with every problem and its path', (_what, body, tierName, paths) => {
    const checked = checkTierUpdate(body, definition, tierName);
    expect(checked.ok).toBe(false);
    if (!checked.ok) expect(checked.errors.map((e) => e.path)).toEqual(paths);
  });
});
