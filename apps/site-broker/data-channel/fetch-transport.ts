import { type DataTransport } from '@reservoir/application/federation/checkpoint-shipper';

/** How long one data-channel request may take before it is abandoned (a file of several GiB streams within it). */
const REQUEST_TIMEOUT_MS = 30 * 60_000;

/** The data channel over Node's fetch: a streamed body (`duplex: 'half'`), the answer read as text. */
export const fetchTransport: DataTransport = async (request) => {
  const response = await fetch(request.url, {
    method: request.method,
    headers: request.headers,
    body: request.body,
    duplex: 'half',
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  return { status: response.status, body: await response.text() };
};
