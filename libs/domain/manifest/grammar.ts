/**
 * Which children each manifest element may hold, in which order and how many: the content models of
 * schemas/service-manifest.xsd, so the pure domain path refuses what the XSD refuses. Attributes are not
 * listed here: the parser reports any attribute it did not read (see attribute-reader.ts).
 */

/** One allowed child: its local name and how often it may occur. */
export interface ChildRule {
  readonly name: string;
  readonly min: 0 | 1;
  readonly max: 1 | typeof Infinity;
}

const one = (name: string): ChildRule => ({ name, min: 1, max: 1 });
const optional = (name: string): ChildRule => ({ name, min: 0, max: 1 });
const many = (name: string): ChildRule => ({ name, min: 0, max: Infinity });

/** Content models, children in their required order; an element not listed here holds no children. */
export const CONTENT_MODELS: Readonly<Record<string, readonly ChildRule[]>> = {
  service: [{ name: 'tier', min: 1, max: Infinity }, optional('inter-tier-configuration'), optional('service-QoS')],
  tier: [
    one('VEE-requirement'),
    one('image'),
    many('software'),
    many('storage'),
    many('network'),
    optional('configuration'),
    one('tier-QoS'),
  ],
  configuration: [many('property')],
  'tier-QoS': [many('checkpoint-on')],
  'inter-tier-configuration': [many('relation')],
};

/** The content model of an element, for messages: `VEE-requirement, image, software*, …`. */
export function describeContentModel(rules: readonly ChildRule[]): string {
  if (rules.length === 0) return 'nothing';
  return rules.map((r) => `${r.name}${r.min === 0 ? (r.max === 1 ? '?' : '*') : r.max === 1 ? '' : '+'}`).join(', ');
}
