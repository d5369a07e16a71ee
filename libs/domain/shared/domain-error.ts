/**
 * Errors raised below the edge. They say what the caller should do (`retryable`) and carry a stable `code`;
 * only the edge (HTTP controllers, Kafka consumers, the CLI) maps them to a status or a retry.
 */
export type DomainErrorCode = 'not-found' | 'conflict' | 'invalid-input' | 'unavailable';

export interface ErrorDetail {
  /** Element or field path the problem is about; `/` when nothing finer applies. */
  path: string;
  message: string;
  line?: number;
}

export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    message: string,
    readonly details: ErrorDetail[] = [{ path: '/', message }],
    readonly retryable = false,
  ) {
    super(message);
    this.name = 'DomainError';
  }

  static notFound(what: string, id: string): DomainError {
    return new DomainError('not-found', `no ${what} with id '${id}'`);
  }
}
