// What travels from the datagram handler (pipeline.ts) to the batch transaction (commit-batch.ts).
import type { AccountingEvent } from '../accounting/event.ts';
import type { ClockLimit } from '../accounting/plausibility.ts';
import type { PortPolicy } from '../accounting/port-policy.ts';
import type { ItemAction } from './batch-state.ts';

export interface IngestNas {
  id: bigint;
  portPolicy: PortPolicy;
  clockLimit: ClockLimit;
}

export interface IngestItem {
  nas: IngestNas;
  event: AccountingEvent;
  /** The datagram up to its Length: the journal keeps it as it came. */
  raw: Buffer;
  /** Status-Server: journaled as a heartbeat. */
  statusServer: boolean;
  /** The ingest bucket of a session packet (src/db/sql/ingest-locks.ts); null for packets that touch no session. */
  bucket: number | null;
}

export interface IngestOutcome {
  action: ItemAction;
  sessionId: bigint | null;
}
