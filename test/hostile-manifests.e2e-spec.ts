import request from 'supertest';
import fc from 'fast-check';
import { type RunningBroker } from '../apps/site-broker/bootstrap';
import { describeWithPostgres, exampleManifest, queryTestDatabase, resetTestDatabase, startTestBroker } from '@reservoir/testing';

const XML = 'application/xml';
const shop = exampleManifest('web-shop.xml').toString('utf8');

interface Case {
  name: string;
  body: Buffer | string;
  contentType?: string;
  status: number;
  path?: string;
  message: RegExp;
}

const CASES: Case[] = [
  { name: 'empty body', body: '', status: 400, path: '/', message: /empty/i },
  { name: 'not XML', body: 'hello, broker', status: 400, path: '/', message: /xml/i },
  {
    name: 'XXE external entity',
    body: '<?xml version="1.0"?><!DOCTYPE service [<!ENTITY x SYSTEM "file:///etc/passwd">]><service>&x;</service>',
    status: 400,
    path: '/',
    message: /DOCTYPE|entit/i,
  },
  {
    name: 'billion laughs',
    body: `<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><service>&lol2;</service>`,
    status: 400,
    path: '/',
    message: /DOCTYPE|entit/i,
  },
  { name: 'over the size limit', body: shop.replace('</service>', `<!--${'x'.repeat(1_100_000)}--></service>`), status: 413, path: '/', message: /larger than the limit/ },
  { name: 'nested too deep', body: `${'<a>'.repeat(5000)}${'</a>'.repeat(5000)}`, status: 400, path: '/', message: /deep|nest/i },
  { name: 'not UTF-8', body: Buffer.concat([Buffer.from(shop.slice(0, 60)), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from(shop.slice(60))]), status: 400, path: '/', message: /UTF-8/i },
  { name: 'JSON content type', body: '{"name":"x"}', contentType: 'application/json', status: 415, path: '/', message: /application\/xml/ },
  { name: 'Latin-1 charset', body: shop, contentType: 'application/xml; charset=iso-8859-1', status: 415, path: '/', message: /application\/xml/ },
  {
    name: 'impossible resources',
    body: shop.replace('memory-mib="256"', 'memory-mib="0"'),
    status: 400,
    path: "/service/tier[@name='web-servers']/VEE-requirement/@memory-mib",
    message: /./,
  },
  {
    name: 'relation to an unknown tier',
    body: shop.replace('to="db-servers"', 'to="no-such-tier"'),
    status: 400,
    path: '/service/inter-tier-configuration/relation[2]/@to',
    message: /no-such-tier/,
  },
  { name: 'unknown element', body: shop.replace('<service-QoS', '<surprise/><service-QoS'), status: 400, message: /surprise/ },
];

/** Hostile and invalid manifests through HTTP: each gets a clear error, and nothing is stored. */
describeWithPostgres('hostile and invalid manifests', () => {
  let broker: RunningBroker;
  const countRows = async () => Number((await queryTestDatabase<{ n: string }>('SELECT count(*) AS n FROM services'))[0]?.n);

  beforeAll(async () => {
    await resetTestDatabase();
    broker = await startTestBroker('server', 'memory');
  });
  afterAll(async () => broker?.close());

  it.each(CASES)('rejects $name with $status and a path', async (c) => {
    const res = await request(broker.url).post('/v1/services').set('content-type', c.contentType ?? XML).send(Buffer.from(c.body));
    expect(res.status).toBe(c.status);
    expect(res.body.errors.length).toBeGreaterThan(0);
    const match = res.body.errors.find((e: { path: string; message: string }) => (c.path === undefined || e.path === c.path) && c.message.test(e.message));
    expect(match).toBeDefined();
    expect(await countRows()).toBe(0);
  });

  it('reports every problem at once', async () => {
    const bad = shop.replace('memory-mib="256"', 'memory-mib="-1"').replace('to="db-servers"', 'to="ghost"').replace('availability="99.95"', 'availability="100"');
    const res = await request(broker.url).post('/v1/services').set('content-type', XML).send(bad).expect(400);
    expect(res.body.errors.length).toBeGreaterThanOrEqual(3);
    for (const e of res.body.errors) expect(e.line === undefined || Number.isInteger(e.line)).toBe(true);
  });

  it('never crashes and never stores an invalid service under hundreds of mutated manifests', async () => {
    const accepted: string[] = [];
    await fc.assert(
      fc.asyncProperty(mutation(), async (body) => {
        const res = await request(broker.url).post('/v1/services').set('content-type', XML).send(Buffer.from(body));
        expect([201, 400, 409, 413]).toContain(res.status);
        if (res.status === 201) accepted.push(res.body.id);
        else expect(res.body.errors.length).toBeGreaterThan(0);
      }),
      { numRuns: 300, seed: 20261125 },
    );
    // Whatever was accepted is a service the broker can read back, and nothing else was stored.
    expect(await countRows()).toBe(accepted.length);
    for (const id of accepted) {
      const got = await request(broker.url).get(`/v1/services/${id}`).expect(200);
      expect(got.body.tiers.length).toBeGreaterThan(0);
      await request(broker.url).delete(`/v1/services/${id}`).expect(204);
    }
    await request(broker.url).get('/healthz').expect(200);
  });
});

/** Mutations of the three-tier example: attribute values, deleted or duplicated lines, truncation, noise bytes. */
function mutation(): fc.Arbitrary<string> {
  const lines = shop.split('\n');
  const attrValue = fc.constantFrom('0', '-1', '', 'abc', '1e9', '99999999999', '50.5', '<', '&amp;', '"', 'web-servers');
  return fc.oneof(
    fc.tuple(fc.nat(), attrValue).map(([i, v]) => {
      const attrs = [...shop.matchAll(/="[^"]*"/g)];
      const m = attrs[i % attrs.length] as RegExpMatchArray;
      return shop.slice(0, m.index) + `="${v}"` + shop.slice((m.index ?? 0) + m[0].length);
    }),
    fc.nat().map((i) => lines.filter((_, j) => j !== i % lines.length).join('\n')),
    fc.nat().map((i) => lines.flatMap((l, j) => (j === i % lines.length ? [l, l] : [l])).join('\n')),
    fc.nat({ max: shop.length }).map((n) => shop.slice(0, n)),
    fc.tuple(fc.nat({ max: shop.length }), fc.string({ maxLength: 8 })).map(([at, s]) => shop.slice(0, at) + s + shop.slice(at)),
  );
}
