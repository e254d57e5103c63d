// PostgreSQL protocol messages the embedded wire server writes itself, and the few facts it reads from
// what the backend wrote (protocol 3.0, https://www.postgresql.org/docs/current/protocol-message-formats.html).

export function pgMessage(type: string, body: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.write(type, 0, 'latin1');
  header.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([header, body]);
}

export function queryMessage(sql: string): Buffer {
  return pgMessage('Q', Buffer.from(sql + '\0', 'utf8'));
}

export function errorResponse(severity: 'ERROR' | 'FATAL', sqlstate: string, message: string): Buffer {
  const fields = [['S', severity], ['V', severity], ['C', sqlstate], ['M', message]]
    .map(([k, v]) => Buffer.from(`${k}${v}\0`, 'utf8'));
  return pgMessage('E', Buffer.concat([...fields, Buffer.from([0])]));
}

export type TransactionStatus = 'I' | 'T' | 'E';

export function readyForQuery(status: TransactionStatus): Buffer {
  return pgMessage('Z', Buffer.from(status, 'latin1'));
}

/** ReadyForQuery is 6 bytes: 'Z', Length 5, the transaction status. */
export const READY_FOR_QUERY_LENGTH = 6;

/** The transaction status if `tail` (the last bytes the backend wrote) ends with ReadyForQuery. */
export function finalReadyStatus(tail: Buffer): TransactionStatus | null {
  const at = tail.length - READY_FOR_QUERY_LENGTH;
  if (at < 0 || tail[at] !== 0x5a || tail.readInt32BE(at + 1) !== 5) return null;
  const status = String.fromCharCode(tail[at + 5]);
  return status === 'I' || status === 'T' || status === 'E' ? status : null;
}

export interface BackendError {
  severity: string;
  sqlstate: string;
  message: string;
}

/**
 * The ErrorResponse that `tail` ends with, if any: the message whose Length reaches exactly the end.
 * Its fields are text, so no shorter false frame can end there.
 */
export function finalError(tail: Buffer): BackendError | null {
  for (let at = tail.length - 5; at >= 0; at--) {
    if (tail[at] !== 0x45 || at + 1 + tail.readInt32BE(at + 1) !== tail.length) continue;
    const fields = new Map<string, string>();
    for (const part of tail.subarray(at + 5).toString('utf8').split('\0')) if (part) fields.set(part[0], part.slice(1));
    return { severity: fields.get('V') ?? fields.get('S') ?? '', sqlstate: fields.get('C') ?? '', message: fields.get('M') ?? '' };
  }
  return null;
}
