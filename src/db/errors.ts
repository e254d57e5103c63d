// SQLSTATE classes the ingest path and the admin commands decide on (match err.code, never err.message).

/** Worth retrying the same transaction at once: serialization failure, deadlock. */
export const RETRYABLE_SQLSTATES = new Set(['40001', '40P01']);

/** A connection could not be opened: whatever the cause, the database is not there for us. */
export class ConnectError extends Error {
  constructor(readonly cause: unknown) {
    super(`cannot connect: ${(cause as Error | null)?.message ?? String(cause)}`);
    this.name = 'ConnectError';
  }
}

/**
 * The database refused this data: a data exception (class 22, e.g. a value out of range) or an integrity
 * constraint (class 23). Only such an error can be one packet's fault; any other is the database's state.
 */
export function isDataError(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code ?? '';
  return code.startsWith('22') || code.startsWith('23');
}

/** The database is not there (connection refused/reset, shutting down, starting up): back off and wait. */
export function isUnavailable(err: unknown): boolean {
  if (err instanceof ConnectError) return true;
  const code = (err as { code?: string } | null)?.code ?? '';
  return (
    code.startsWith('08') ||
    code === '57P01' || code === '57P02' || code === '57P03' || code === '53300' ||
    ['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT', 'EPIPE', 'ENOENT'].includes(code) ||
    (err instanceof Error && (err.name === 'KnexTimeoutError' || /Connection terminated|not queryable/i.test(err.message)))
  );
}

export function isRetryable(err: unknown): boolean {
  return RETRYABLE_SQLSTATES.has((err as { code?: string } | null)?.code ?? '');
}

// ON DELETE RESTRICT is reported as 23503 (foreign_key_violation) by PostgreSQL ≤ 17 and as 23001
// (restrict_violation) by PostgreSQL 18, which the embedded PGlite is. Match codes, never message text.
const FK_REFUSAL_SQLSTATES = new Set(['23503', '23001']);

/** A delete the database refused because rows reference the row (accounting.md §7). */
export function isReferencedError(err: unknown): boolean {
  return FK_REFUSAL_SQLSTATES.has((err as { code?: string } | null)?.code ?? '');
}
