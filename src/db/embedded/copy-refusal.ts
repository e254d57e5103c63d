// COPY … FROM STDIN cannot work on PGlite's message-at-a-time interface (it reads EOF where the data
// should be, and exits, taking the one backend every client shares with it): the server refuses it.
import { errorResponse, readyForQuery, type TransactionStatus } from './messages.ts';

/** CopyData/CopyDone/CopyFail: forwarding them, after a COPY that did not start, kills the backend too. */
export const COPY_IN = new Set([...'dcf'].map((c) => c.charCodeAt(0)));

const QUERY = 'Q'.charCodeAt(0);
const PARSE = 'P'.charCodeAt(0);
const COPY_FROM_STDIN = /\bcopy\b[\s\S]*\bfrom\s+stdin\b/i;

/** The SQL text of a Query or Parse message. */
function statementText(message: Buffer): string | null {
  if (message[0] === QUERY) return message.subarray(5).toString('utf8');
  if (message[0] === PARSE) {
    const nameEnd = message.indexOf(0, 5);
    return nameEnd < 0 ? null : message.subarray(nameEnd + 1).toString('utf8');
  }
  return null;
}

export function isCopyFromStdin(messages: Buffer[]): boolean {
  return messages.some((m) => COPY_FROM_STDIN.test(statementText(m) ?? ''));
}

/** ErrorResponse (SQLSTATE 0A000 feature_not_supported) and ReadyForQuery, as the backend would send. */
export function copyRefusal(status: TransactionStatus): Buffer {
  const message = 'COPY FROM STDIN is not supported by the embedded database; use INSERT, or a PostgreSQL server';
  return Buffer.concat([errorResponse('ERROR', '0A000', message), readyForQuery(status)]);
}
