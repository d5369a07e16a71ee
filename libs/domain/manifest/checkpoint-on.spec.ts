import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findShippedFile } from '@reservoir/config';
import { checkManifest } from './analyze-manifest';
import { checkServiceDefinition } from './semantic-rules';
import { type HostEventType, type ServiceDefinition } from './service-definition';

const monitored = readFileSync(join(findShippedFile('schemas/examples', __dirname), 'monitored-db.xml'), 'utf8');
const DB_QOS = "/service/tier[@name='db']/tier-QoS";
const WEB_QOS = "/service/tier[@name='web']/tier-QoS";

function errorsOf(xml: string): [string, string, number | undefined][] {
  const result = checkManifest(xml);
  if (result.ok) throw new Error('expected the manifest to be rejected');
  return result.errors.map((e) => [e.path, e.message, e.line]);
}

describe('<checkpoint-on> monitoring rules in <tier-QoS>', () => {
  it('reads the rules of the example in manifest order; tiers without rules have no checkpointOn', () => {
    const result = checkManifest(monitored);
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    const [web, db] = result.definition.tiers;
    expect(db?.qos).toEqual({ availability: 99.99, protection: 'checkpoint', checkpointIntervalMs: 10000, checkpointOn: ['on-battery', 'disk-errors', 'memory-pressure'] });
    expect(web?.qos).toEqual({ availability: 99.9, protection: 'restart' });
  });

  it('refuses an unknown event, a repeated event and a rule on a tier without checkpoints, each at its path and line', () => {
    const bad = monitored
      .replace('<checkpoint-on event="disk-errors"/>', '<checkpoint-on event="solar-flare"/>')
      .replace('<checkpoint-on event="memory-pressure"/>', '<checkpoint-on event="on-battery"/>')
      .replace('<tier-QoS availability="99.9" protection="restart"/>', '<tier-QoS availability="99.9" protection="restart"><checkpoint-on event="overheating"/></tier-QoS>');
    expect(errorsOf(bad)).toEqual([
      [`${WEB_QOS}/checkpoint-on/@event`, "checkpoint-on applies only to protection 'checkpoint' or 'live-standby', not 'restart'", 8],
      [`${DB_QOS}/checkpoint-on[2]/@event`, expect.stringMatching(/solar-flare/), 16],
      [`${DB_QOS}/checkpoint-on[3]/@event`, "duplicate checkpoint-on event 'on-battery' in this tier", 17],
    ]);
  });

  it('refuses a rule without an event, with children or stray attributes', () => {
    const bad = monitored
      .replace('<checkpoint-on event="disk-errors"/>', '<checkpoint-on/>')
      .replace('<checkpoint-on event="memory-pressure"/>', '<checkpoint-on event="memory-pressure" every="1s"/>');
    expect(errorsOf(bad).map(([path]) => path)).toEqual([`${DB_QOS}/checkpoint-on[2]/@event`, `${DB_QOS}/checkpoint-on[3]/@every`]);
  });

  it('checks a typed definition (e.g. from a peer site) the same way', () => {
    const result = checkManifest(monitored);
    if (!result.ok) throw new Error('setup');
    const d: ServiceDefinition = structuredClone(result.definition);
    const db = d.tiers[1];
    if (!db) throw new Error('setup');
    db.qos.checkpointOn = ['disk-errors', 'reboot' as HostEventType];
    expect(checkServiceDefinition(d).map((e) => e.path)).toEqual([`${DB_QOS}/checkpoint-on[2]/@event`]);
    db.qos = { availability: 99, protection: 'none', checkpointOn: ['disk-errors'] };
    expect(checkServiceDefinition(d).map((e) => e.message)).toEqual(["checkpoint-on applies only to protection 'checkpoint' or 'live-standby', not 'none'"]);
  });
});
