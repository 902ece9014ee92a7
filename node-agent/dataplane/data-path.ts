// Which data path runs and why, apart from the code that runs it: the agent logs it, the
// status API reports it, and `tunctl status` prints it without loading the native bindings.

/** Which data path runs, and why: what the agent logs and reports. */
export interface DataplanePath {
  /** "superpackets": 64 KB TUN reads and writes, UDP GSO/GRO; "per-packet": one packet per read and write. */
  readonly mode: 'superpackets' | 'per-packet';
  readonly workers: number;
  /** The TUN device passes TCP superpackets (TSO). */
  readonly tso: boolean;
  /** The TUN device passes UDP superpackets (USO, Linux 6.2+). */
  readonly uso: boolean;
  /** Segments leave in UDP GSO sends. */
  readonly gso: boolean;
  /** Datagrams arrive coalesced (UDP GRO). */
  readonly gro: boolean;
  /** Why the per-packet path runs, when it does. */
  readonly reason: string;
}

/** One line for logs and status: "superpackets (TSO, USO, UDP GSO, UDP GRO)" or "per-packet (reason)". */
export function describePath(path: DataplanePath): string {
  if (path.mode === 'per-packet') return `per-packet (${path.reason})`;
  const parts = [path.tso && 'TSO', path.uso && 'USO', path.gso ? 'UDP GSO' : 'no UDP GSO', path.gro ? 'UDP GRO' : 'no UDP GRO'].filter(Boolean);
  return `superpackets (${parts.join(', ')})`;
}
