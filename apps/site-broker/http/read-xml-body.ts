import { type Request } from 'express';
import { DomainError } from '@reservoir/domain/shared/domain-error';
import { ManifestRejectedError } from '@reservoir/application/services/submit-service';

const XML_TYPES = /^(application\/xml|text\/xml|application\/[a-z0-9.+-]+\+xml)$/;

/** Thrown for a body that is not XML at all; the filter maps it to 415. */
export class UnsupportedMediaTypeError extends DomainError {
  constructor(contentType: string | undefined) {
    super('invalid-input', 'unsupported media type', [
      { path: '/', message: `Content-Type must be application/xml (UTF-8), got ${contentType ? `'${contentType}'` : 'none'}` },
    ]);
  }
}

/**
 * Reads a manifest body as raw bytes, refusing a non-XML or non-UTF-8 content type and stopping as soon as the
 * body exceeds `maxBytes` (no unbounded buffering of hostile uploads).
 */
export async function readXmlBody(req: Request, maxBytes: number): Promise<Uint8Array> {
  checkContentType(req.headers['content-type']);
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    req.resume();
    throw tooLarge(maxBytes);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) {
      req.resume();
      throw tooLarge(maxBytes);
    }
    chunks.push(chunk);
  }
  return new Uint8Array(Buffer.concat(chunks));
}

function checkContentType(header: string | undefined): void {
  const [type, ...params] = (header ?? '').split(';').map((p) => p.trim().toLowerCase());
  if (!XML_TYPES.test(type ?? '')) throw new UnsupportedMediaTypeError(header);
  const charset = params.find((p) => p.startsWith('charset='))?.slice('charset='.length).replace(/"/g, '');
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') throw new UnsupportedMediaTypeError(header);
}

function tooLarge(maxBytes: number): ManifestRejectedError {
  return new ManifestRejectedError([{ path: '/', message: `manifest is larger than the limit of ${maxBytes} bytes` }], true);
}
