/** Talks to a site broker's HTTP API for the CLI. */
export interface ApiAnswer {
  status: number;
  body: unknown;
  text: string;
}

export class BrokerClient {
  constructor(readonly baseUrl: string) {}

  async request(method: string, path: string, body?: Uint8Array, contentType?: string): Promise<ApiAnswer> {
    let res: Response;
    try {
      res = await fetch(new URL(path, this.baseUrl), {
        method,
        body,
        headers: contentType ? { 'content-type': contentType } : undefined,
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err instanceof Error ? err.message : String(err));
      throw new BrokerUnreachableError(`cannot reach the broker at ${this.baseUrl} (${cause})`);
    }
    const text = await res.text();
    let parsed: unknown = text;
    if ((res.headers.get('content-type') ?? '').includes('json') && text !== '') parsed = JSON.parse(text);
    return { status: res.status, body: parsed, text };
  }
}

export class BrokerUnreachableError extends Error {}
