import { spawn, spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../apps/cli/main';
import { type Output } from '../apps/cli/output';
import { type RunningBroker } from '../apps/site-broker/bootstrap';
import { describeWithPostgres, exampleManifest, resetTestDatabase, startTestBroker, tempDataDir } from '@reservoir/testing';

const ROOT = join(__dirname, '..');
const EXAMPLES = join(ROOT, 'schemas', 'examples');

function capture(): Output & { out: string[]; errs: string[] } {
  const out: string[] = [];
  const errs: string[] = [];
  return { out, errs, log: (l) => void out.push(l), err: (l) => void errs.push(l) };
}

function badFile(content: string | Buffer): string {
  const file = join(tempDataDir('reservoir-cli-'), 'bad.xml');
  writeFileSync(file, content);
  return file;
}

describe('reservoir validate (offline)', () => {
  it.each(['web-shop.xml', 'minimal.xml'])('accepts %s with exit code 0', async (name) => {
    const io = capture();
    expect(await runCli(['validate', join(EXAMPLES, name)], io, {})).toBe(0);
    expect(io.out.join('\n')).toMatch(/valid — service '[a-z-]+' with \d tier/);
  });

  it('rejects a bad manifest with exit code 1, printing every path and line', async () => {
    const file = badFile(exampleManifest('web-shop.xml').toString().replace('memory-mib="256"', 'memory-mib="0"').replace('to="db-servers"', 'to="x"'));
    const io = capture();
    expect(await runCli(['validate', file], io, {})).toBe(1);
    const text = io.errs.join('\n');
    expect(text).toContain("/service/tier[@name='web-servers']/VEE-requirement/@memory-mib");
    expect(text).toContain('/service/inter-tier-configuration/relation[2]/@to');
    expect(text).toMatch(/bad\.xml:\d+ /);
  });

  it('applies the same size limit as the broker', async () => {
    const io = capture();
    expect(await runCli(['validate', join(EXAMPLES, 'web-shop.xml'), '--max-bytes', '1024'], io, {})).toBe(1);
    expect(io.errs.join('\n')).toMatch(/larger than the limit of 1024 bytes/);
  });

  it('rejects hostile input with exit code 1', async () => {
    const io = capture();
    expect(await runCli(['validate', badFile('<!DOCTYPE x [<!ENTITY a SYSTEM "file:///etc/passwd">]><service>&a;</service>')], io, {})).toBe(1);
    expect(io.errs.join('\n')).toMatch(/DOCTYPE/);
  });

  it.each([[[]], [['validate']], [['validate', 'a', 'b']], [['frobnicate']], [['validate', 'x.xml', '--bogus', '1']]])(
    'answers usage errors %j with exit code 2',
    async (argv) => {
      expect(await runCli(argv, capture(), {})).toBe(2);
    },
  );

  it('says so for a missing file (exit 1)', async () => {
    const io = capture();
    expect(await runCli(['validate', '/nonexistent/m.xml'], io, {})).toBe(1);
    expect(io.errs[0]).toMatch(/no such file/);
  });
});

describeWithPostgres('reservoir submit / get / list / delete against a broker', () => {
  let broker: RunningBroker;
  beforeAll(async () => {
    await resetTestDatabase();
    broker = await startTestBroker('server', 'memory');
  });
  afterAll(async () => broker?.close());

  it('submits, reads, lists and deletes', async () => {
    const env = { RESERVOIR_BROKER_URL: broker.url };
    const io = capture();
    expect(await runCli(['submit', join(EXAMPLES, 'web-shop.xml')], io, env)).toBe(0);
    const { id } = JSON.parse(io.out[0] as string) as { id: string };
    const got = capture();
    expect(await runCli(['get', id, '--json'], got, env)).toBe(0);
    // Deployment runs in the background; with no hosts registered it ends failed (placement: no hosts).
    expect(JSON.parse(got.out.join('\n'))).toMatchObject({ id, name: 'web-shop', phase: expect.stringMatching(/^(accepted|placing|failed)$/) });
    const xml = capture();
    expect(await runCli(['get', id, '--manifest', '--broker', broker.url], xml, {})).toBe(0);
    expect(xml.out.join('\n')).toBe(exampleManifest('web-shop.xml').toString('utf8'));
    const list = capture();
    expect(await runCli(['list'], list, env)).toBe(0);
    expect(list.out.join('\n')).toMatch(new RegExp(`${id}\\s+web-shop`));
    const dup = capture();
    expect(await runCli(['submit', join(EXAMPLES, 'web-shop.xml')], dup, env)).toBe(1);
    expect(dup.errs.join('\n')).toMatch(/409[\s\S]*already exists/);
    expect(await runCli(['delete', id], capture(), env)).toBe(0);
    const gone = capture();
    expect(await runCli(['get', id], gone, env)).toBe(1);
    expect(gone.errs.join('\n')).toMatch(/404[\s\S]*no service with id/);
  });

  it('adds, lists and removes hosts', async () => {
    const env = { RESERVOIR_BROKER_URL: broker.url };
    const added = capture();
    const uri = 'sim://cli-h1?vcpu=4&memory-mib=8192&disk-gib=100';
    expect(await runCli(['hosts', 'add', 'cli-h1', uri, '--failure-domain', 'r7', '--labels', 'zone=eu,ssd=yes', '--overcommit-cpu', '2'], added, env)).toBe(0);
    const host = JSON.parse(added.out[0] as string) as { id: string };
    expect(host).toMatchObject({ name: 'cli-h1', failureDomain: 'r7', labels: { zone: 'eu', ssd: 'yes' }, overcommit: { cpu: 2, memory: 1 } });
    const list = capture();
    expect(await runCli(['hosts'], list, env)).toBe(0);
    expect(list.out.join('\n')).toMatch(new RegExp(`${host.id}\\s+cli-h1\\s+r7\\s+up\\s+4\\s+8192\\s+100`));
    const bad = capture();
    expect(await runCli(['hosts', 'add', 'x', 'sim://x?vcpu=1'], bad, env)).toBe(1);
    expect(bad.errs.join('\n')).toMatch(/400[\s\S]*\/uri: /);
    expect(await runCli(['hosts', 'add', 'x', uri, '--labels', 'nokey'], capture(), env)).toBe(2);
    expect(await runCli(['hosts', 'rm', host.id], capture(), env)).toBe(0);
    expect(await runCli(['hosts', 'rm', host.id], capture(), env)).toBe(1);
  });

  it('reports an unreachable broker with exit code 1', async () => {
    const io = capture();
    expect(await runCli(['list', '--broker', 'http://127.0.0.1:1'], io, {})).toBe(1);
    expect(io.errs.join('\n')).toMatch(/cannot reach the broker/);
  });
});

describe('compiled binaries (after npm run build)', () => {
  const cli = join(ROOT, 'bin', 'reservoir.js');
  const brokerMain = join(ROOT, 'dist', 'apps', 'site-broker', 'main.js');
  const built = existsSync(brokerMain);
  if (!built) console.warn('SKIPPED: compiled-binary tests need `npm run build` first (npm run test:all does it)');
  const maybe = built ? it : it.skip;

  maybe('bin/reservoir validates with the documented exit codes', () => {
    expect(spawnSync('node', [cli, 'validate', join(EXAMPLES, 'minimal.xml')]).status).toBe(0);
    expect(spawnSync('node', [cli, 'validate', badFile('<service/>')]).status).toBe(1);
    expect(spawnSync('node', [cli, 'validate']).status).toBe(2);
  });

  maybe('the broker refuses to start on a bad variable, naming it', () => {
    const run = spawnSync('node', [brokerMain], { env: { ...process.env, RESERVOIR_HTTP_PORT: 'eighty', RESERVOIR_BUS: 'carrier-pigeon' }, encoding: 'utf8' });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('RESERVOIR_HTTP_PORT="eighty"');
    expect(run.stderr).toContain('RESERVOIR_BUS="carrier-pigeon"');
  });

  maybe('npm run start:broker serves the API and stops cleanly on SIGTERM', async () => {
    const child = spawn('node', [brokerMain], {
      env: { ...process.env, RESERVOIR_SITE_ID: 'started', RESERVOIR_HTTP_HOST: '127.0.0.1', RESERVOIR_HTTP_PORT: '0', RESERVOIR_DATA_DIR: tempDataDir() },
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const deadline = Date.now() + 60000;
    while (!/listening on (http:\/\/\S+)/.test(output) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const url = /listening on (http:\/\/\S+)/.exec(output)?.[1];
    expect(url).toBeDefined();
    const health = await fetch(`${url}/healthz`);
    expect(await health.json()).toMatchObject({ status: 'ok', siteId: 'started' });
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  maybe('the demo starts a three-site federation on the embedded store, submits both examples and replicates web-shop, also when run again', () => {
    const dataDir = tempDataDir();
    const demo = () => spawnSync('node', [cli, 'demo', '--exit'], {
      env: { ...process.env, RESERVOIR_DATA_DIR: dataDir, RESERVOIR_HTTP_PORT: '0', RESERVOIR_DATABASE_URL: '', RESERVOIR_BUS: '' },
      encoding: 'utf8',
      timeout: 90000,
    });
    const first = demo();
    expect(first.status).toBe(0);
    expect(first.stdout).not.toMatch(/earlier demo state removed/);
    // A second run in the same directory starts from a fresh store (its simulated hosts are new): same outcome.
    const run = demo();
    expect(run.stdout).toMatch(/site demo-a: earlier demo state removed/);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/submitted web-shop\.xml to demo-a: 201/);
    expect(run.stdout).toMatch(/submitted minimal\.xml to demo-a: 201/);
    expect(run.stdout).toMatch(/2 service\(s\) on site 'demo-a'/);
    expect(run.stdout).toMatch(/site demo-c: host sim-3: registered/);
    expect(run.stdout).toMatch(/web-shop\s+running\s+tiers: web-servers, app-servers, db-servers/);
    expect(run.stdout.match(/rsv-web-shop-\S+\s+running\s+on sim-\d/g)).toHaveLength(5);
    expect(run.stdout).toMatch(/replica at demo-b\s+running\s+contract active/);
    expect(run.stdout).toMatch(/replica at demo-c\s+running\s+contract active/);
    expect(run.stdout).toMatch(/site demo-b: web-shop running \(replica of demo-a\)/);
    expect(run.stdout).toMatch(/site demo-a sees: demo-b alive, demo-c alive/);
  });
});
