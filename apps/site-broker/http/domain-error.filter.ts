import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { type Response } from 'express';
import { DomainError, type ErrorDetail } from '@reservoir/domain/shared/domain-error';
import { ManifestRejectedError } from '@reservoir/application/services/submit-service';
import { UnsupportedMediaTypeError } from './read-xml-body';

const STATUS: Record<DomainError['code'], number> = {
  'not-found': HttpStatus.NOT_FOUND,
  conflict: HttpStatus.CONFLICT,
  'invalid-input': HttpStatus.BAD_REQUEST,
  unavailable: HttpStatus.SERVICE_UNAVAILABLE,
};

/** Every error leaves the API as `{errors: [{path, message, line?}]}` with a status that tells the caller what to do. */
@Catch()
export class DomainErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('http');

  catch(error: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    const { status, errors } = this.describe(error);
    if (status >= 500) this.logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    if (res.headersSent) return;
    res.status(status).json({ errors });
  }

  private describe(error: unknown): { status: number; errors: ErrorDetail[] } {
    if (error instanceof ManifestRejectedError) {
      return { status: error.tooLarge ? HttpStatus.PAYLOAD_TOO_LARGE : HttpStatus.BAD_REQUEST, errors: error.details };
    }
    if (error instanceof UnsupportedMediaTypeError) return { status: HttpStatus.UNSUPPORTED_MEDIA_TYPE, errors: error.details };
    if (error instanceof DomainError) return { status: STATUS[error.code], errors: error.details };
    if (error instanceof HttpException) {
      const body = error.getResponse();
      const message = typeof body === 'string' ? body : ((body as { message?: unknown }).message ?? error.message);
      return { status: error.getStatus(), errors: [{ path: '/', message: Array.isArray(message) ? message.join('; ') : String(message) }] };
    }
    return { status: HttpStatus.INTERNAL_SERVER_ERROR, errors: [{ path: '/', message: 'internal error' }] };
  }
}
