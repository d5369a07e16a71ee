import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../apps/cli/main';
import { type Output } from '../apps/cli/output';
import { type RunningBroker } from '../apps/site-broker/bootstrap';
import { renamed, startTestBroker, tempDataDir } from '@reservoir/testing';

const EXAMPLES = join(__dirname, '..', 'schemas', 'examples');
const HOST_URI = 'sim://h1?vcpu=8&memory-mib=16384&disk-gib=200';

function capture(): Output & { out: string[]; errs: string[] } {
  const out: string[] = [];
  const errs: string[] = [];
  return { out, errs, log: (l) => void out.push(l), err: (l) => void errs.push(l) };
}

interface Event { at: string; subject: string; id: string; from: string | null; to: string; reason: string }

/** `reservoir get` tables and `reservoir watch` against a real in-process broker (embedded store) on a simulated host. */
describe('reservoir get / watch against a broker on a simulated host', () => {
  let broker: RunningBroker;
  let env: Record<string, string>;
  const run = async (argv: string[]) => {
    const io = capture();
    const code = await runCli(argv, io, env);
    return { code, out: io.out.join('\n'), errs: io.errs.join('\n'), lines: io.out };
  };
  const submit = async (file: string): Promise<string> => {
    const r = await run(['submit', file]);
    expect(r.code).toBe(0);
    return (JSON.parse(r.out) as { id: string }).id;
  };

  beforeAll(async () => {
    broker = await startTestBroker('embedded', 'memory');
    env = { RESERVOIR_BROKER_URL: broker.url };
    expect((await run(['hosts', 'add', 'h1', HOST_URI])).code).toBe(0);
  });
  afterAll(async () => broker?.close());

  let id: string;

  it('watch prints every transition to running once, then a summary, and exits 0', async () => {
    id = await submit(join(EXAMPLES, 'minimal.xml'));
    const w = await run(['watch', id, '--interval-ms', '50', '--timeout-ms', '30000']);
    expect(w.errs).toBe('');
    expect(w.code).toBe(0);
    const transitions = w.lines.slice(0, -1);
    expect(w.lines.at(-1)).toBe(`service counter (${id}) running: 1 of 1 VEE(s) running`);
    const path = (subject: RegExp) => transitions.filter((l) => subject.test(l)).map((l) => /\s(\S+ → \S+)\s/.exec(l)?.[1]);
    expect(path(/Z {2}service /)).toEqual(['— → accepted', 'accepted → placing', 'placing → deploying', 'deploying → running']);
    expect(path(/Z {2}vee counter\/0 /)).toEqual(['— → defined', 'defined → starting', 'starting → running']);
    // Exactly the broker's log, in its order, nothing twice.
    const events = ((await (await fetch(`${broker.url}/v1/services/${id}/events`)).json()) as { items: Event[] }).items;
    expect(transitions).toHaveLength(events.length);
    events.forEach((e, i) => expect(transitions[i]).toMatch(new RegExp(`^${e.at.replace(/\./g, '\\.')}\\s+\\S.*${e.from ?? '—'} → ${e.to}  ${e.reason}$`)));
  });

  it('get prints the service header and a row per VEE with its tier, id, host, phase, role and domain', async () => {
    const json = await run(['get', id, '--json']);
    expect(json.code).toBe(0);
    const vee = (JSON.parse(json.out) as { vees: { id: string; domain: string; updatedAt: string }[] }).vees[0];
    const g = await run(['get', id]);
    expect(g.code).toBe(0);
    expect(g.out).toMatch(new RegExp(`^service:\\s+${id}\\nname:\\s+counter\\nphase:\\s+running\\n`));
    expect(g.out).toMatch(/\nTIER\s+VEE\s+HOST\s+PHASE\s+ROLE\s+DOMAIN\s+SINCE\n/);
    expect(g.out).toMatch(new RegExp(`\\ncounter\\s+${vee?.id}\\s+h1\\s+running\\s+active\\s+${vee?.domain}\\s+${vee?.updatedAt}$`));
    expect(g.out).not.toMatch(/placement errors/);
  });

  it('watch on an unknown id exits 1 saying the broker does not know it', async () => {
    const unknown = randomUUID();
    const w = await run(['watch', unknown, '--interval-ms', '50']);
    expect(w.code).toBe(1);
    expect(w.out).toBe('');
    expect(w.errs).toMatch(new RegExp(`404[\\s\\S]*no service with id '${unknown}'`));
  });

  it('watch on a service that fits nowhere exits 1 with the per-host reason; get shows it too', async () => {
    const file = join(tempDataDir('reservoir-cli-watch-'), 'too-big.xml');
    writeFileSync(file, renamed('minimal.xml', 'too-big').toString('utf8').replace('memory-mib="64"', 'memory-mib="65536"'));
    const failedId = await submit(file);
    const w = await run(['watch', failedId, '--interval-ms', '50', '--timeout-ms', '30000']);
    expect(w.code).toBe(1);
    expect(w.out).toMatch(/service\s+placing → failed {2}cannot place: tier counter: /);
    expect(w.out).not.toMatch(/vee /);
    expect(w.errs).toMatch(new RegExp(`^service too-big \\(${failedId}\\) failed: it cannot be placed\\nplacement errors:\\n  tier counter:\\n    0 of 1 VEE\\(s\\) placed\\n    host h1: VEE needs 65536 MiB memory`));
    const g = await run(['get', failedId]);
    expect(g.code).toBe(0);
    expect(g.out).toMatch(/phase:\s+failed\n/);
    expect(g.out).toMatch(/\nno VEEs\n\nplacement errors:\n {2}tier counter:\n {4}0 of 1 VEE\(s\) placed\n {4}host h1: VEE needs 65536 MiB memory/);
  });

  it('watch after the service was deleted exits 1 (unknown), get too; usage errors exit 2', async () => {
    expect((await run(['delete', id])).code).toBe(0);
    expect((await run(['watch', id])).code).toBe(1);
    expect((await run(['get', id])).code).toBe(1);
    expect((await run(['watch'])).code).toBe(2);
    expect((await run(['watch', id, '--interval-ms', '0'])).code).toBe(2);
    expect((await run(['get', id, '--json', '--manifest'])).code).toBe(2);
  });
});
