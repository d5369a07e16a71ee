import { QueryFailedError } from 'typeorm';

const UNIQUE_VIOLATION = '23505';

/** True for a PostgreSQL unique-constraint violation (server: SQLSTATE 23505; PGlite: the same code or message). */
export function isUniqueViolation(err: unknown): boolean {
  if (!(err instanceof QueryFailedError)) return false;
  const driverError = err.driverError as { code?: string } | undefined;
  return driverError?.code === UNIQUE_VIOLATION || /duplicate key|unique constraint/i.test(err.message);
}
