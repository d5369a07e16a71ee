import { parseInstant } from '@reservoir/domain/federation/protocol/instant';
import { type ShippedCheckpoint } from '@reservoir/application/federation/checkpoint-receiver';
import { type ErrorDetail } from '@reservoir/domain/shared/domain-error';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SHA256 = /^[0-9a-f]{64}$/;

/** The JSON of `POST …/complete`, checked field by field; every problem with its JSON pointer. */
export function parseCompleteBody(text: string): { ok: true; value: ShippedCheckpoint } | { ok: false; problems: ErrorDetail[] } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return { ok: false, problems: [{ path: '/', message: `not JSON: ${err instanceof Error ? err.message : String(err)}` }] };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { ok: false, problems: [{ path: '/', message: 'must be a JSON object' }] };
  const body = raw as Record<string, unknown>;
  const problems: ErrorDetail[] = [];
  const add = (path: string, message: string) => problems.push({ path, message });
  if (typeof body.veeId !== 'string' || !UUID.test(body.veeId)) add('/veeId', 'must be a UUID');
  if (typeof body.serviceId !== 'string' || !UUID.test(body.serviceId)) add('/serviceId', 'must be a UUID');
  if (typeof body.epoch !== 'number' || !Number.isSafeInteger(body.epoch) || body.epoch < 1) add('/epoch', 'must be an integer ≥ 1');
  const createdAt = parseInstant(body.createdAt);
  if (createdAt === undefined) add('/createdAt', 'must be an ISO 8601 UTC instant');
  if (typeof body.sha256 !== 'string' || !SHA256.test(body.sha256)) add('/sha256', 'must be 64 lower-case hex digits');
  if (!Array.isArray(body.files)) add('/files', 'must be an array of {name, bytes, sha256}');
  const files = (Array.isArray(body.files) ? body.files : []).map((f: unknown, i: number) => {
    const file = (typeof f === 'object' && f !== null ? f : {}) as Record<string, unknown>;
    if (typeof file.name !== 'string') add(`/files/${i}/name`, 'must be a string');
    if (typeof file.bytes !== 'number') add(`/files/${i}/bytes`, 'must be a number');
    if (typeof file.sha256 !== 'string') add(`/files/${i}/sha256`, 'must be a string');
    return { name: String(file.name), bytes: Number(file.bytes), sha256: String(file.sha256) };
  });
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    value: {
      veeId: body.veeId as string, serviceId: body.serviceId as string, epoch: body.epoch as number,
      createdAt: new Date(createdAt as number), sha256: body.sha256 as string, files,
    },
  };
}
