import { findDependencyCycles } from './tier-graph';

const edges = (...pairs: string[]): { from: string; to: string }[] =>
  pairs.map((p) => {
    const [from = '', to = ''] = p.split('>');
    return { from, to };
  });

describe('findDependencyCycles', () => {
  it.each([
    ['no edges', edges(), []],
    ['a chain', edges('a>b', 'b>c', 'c>d'), []],
    ['a diamond', edges('a>b', 'a>c', 'b>d', 'c>d'), []],
    ['a self-dependency (not a cycle here)', edges('a>a'), []],
    ['two tiers', edges('a>b', 'b>a'), [['a', 'b']]],
    ['three tiers', edges('a>b', 'b>c', 'c>a'), [['a', 'b', 'c']]],
    ['the shortest cycle through the first tier', edges('a>b', 'b>c', 'c>a', 'b>a'), [['a', 'b']]],
    ['two separate groups, in order of appearance', edges('x>y', 'a>b', 'b>a', 'y>x'), [['x', 'y'], ['a', 'b']]],
    ['a cycle behind a chain', edges('start>a', 'a>b', 'b>c', 'c>a'), [['a', 'b', 'c']]],
  ])('%s', (_, input, expected) => {
    expect(findDependencyCycles(input)).toEqual(expected);
  });

  it('handles a 5000-tier chain closed into one cycle without recursion', () => {
    const names = Array.from({ length: 5000 }, (_, i) => `t${i}`);
    const chain = names.map((from, i) => ({ from, to: names[(i + 1) % names.length] ?? '' }));
    const [cycle] = findDependencyCycles(chain);
    expect(cycle).toHaveLength(5000);
    expect(cycle?.[0]).toBe('t0');
    expect(cycle?.[4999]).toBe('t4999');
  });
});
