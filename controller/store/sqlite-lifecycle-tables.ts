// SQL for reservations and the subnet quarantine (migration 202611250003). SqliteStore owns
// the connection and the transactions; this class holds the statements and row conversions,
// so that a node's removal, its quarantine row and its audit rows share one transaction.
// A quarantine row whose available_at has passed means nothing: every read filters on `now`.
import type Database from 'better-sqlite3';
import type { Ipv4Cidr } from '../../common/cidr.js';
import type { NetworkConfig, QuarantineRecord, ReservationRecord } from './store.js';

interface ReservationRow {
  node_name: string;
  subnet_base: number;
  subnet_len: number;
  created_at: number;
  created_by: string;
}

interface QuarantineRow {
  subnet_base: number;
  subnet_len: number;
  previous_node: string;
  released_at: number;
  available_at: number;
}

function toReservation(row: ReservationRow): ReservationRecord {
  return {
    nodeName: row.node_name,
    subnet: { base: row.subnet_base, prefixLen: row.subnet_len },
    createdAt: new Date(row.created_at),
    createdBy: row.created_by,
  };
}

function toQuarantine(row: QuarantineRow): QuarantineRecord {
  return {
    subnet: { base: row.subnet_base, prefixLen: row.subnet_len },
    previousNode: row.previous_node,
    releasedAt: new Date(row.released_at),
    availableAt: new Date(row.available_at),
  };
}

export class LifecycleTables {
  private readonly stmts;

  constructor(db: Database.Database) {
    this.stmts = {
      selectReservation: db.prepare<[string], ReservationRow>('SELECT * FROM reservations WHERE node_name = ?'),
      selectReservationOfSubnet: db.prepare<[number], ReservationRow>('SELECT * FROM reservations WHERE subnet_base = ?'),
      listReservations: db.prepare<[], ReservationRow>('SELECT * FROM reservations ORDER BY node_name'),
      insertReservation: db.prepare<[string, number, number, number, string], ReservationRow>(
        'INSERT INTO reservations (node_name, subnet_base, subnet_len, created_at, created_by) VALUES (?, ?, ?, ?, ?) RETURNING *',
      ),
      deleteReservation: db.prepare<[string], ReservationRow>('DELETE FROM reservations WHERE node_name = ? RETURNING *'),
      // A reservation whose node exists is that node's subnet, counted as used, not reserved.
      countUnusedReservations: db
        .prepare<[], number>('SELECT count(*) FROM reservations r WHERE NOT EXISTS (SELECT 1 FROM nodes n WHERE n.name = r.node_name)')
        .pluck(),

      selectQuarantine: db.prepare<[number, number], QuarantineRow>('SELECT * FROM subnet_quarantine WHERE subnet_base = ? AND available_at > ?'),
      // Newest first: a name removed twice (re-added with another --subnet in between) gets the subnet it held last.
      selectQuarantineOfNode: db.prepare<[string, number], QuarantineRow>(
        'SELECT * FROM subnet_quarantine WHERE previous_node = ? AND available_at > ? ORDER BY released_at DESC, subnet_base LIMIT 1',
      ),
      listQuarantine: db.prepare<[number], QuarantineRow>('SELECT * FROM subnet_quarantine WHERE available_at > ? ORDER BY subnet_base'),
      countQuarantine: db.prepare<[number], number>('SELECT count(*) FROM subnet_quarantine WHERE available_at > ?').pluck(),
      soonestAvailable: db.prepare<[number], QuarantineRow>(
        'SELECT * FROM subnet_quarantine WHERE available_at > ? ORDER BY available_at, subnet_base LIMIT 1',
      ),
      // REPLACE: an expired row for the same subnet may still be there (pruning is lazy).
      upsertQuarantine: db.prepare<[number, number, string, number, number]>(
        'INSERT OR REPLACE INTO subnet_quarantine (subnet_base, subnet_len, previous_node, released_at, available_at) VALUES (?, ?, ?, ?, ?)',
      ),
      deleteQuarantine: db.prepare<[number, number], QuarantineRow>('DELETE FROM subnet_quarantine WHERE subnet_base = ? AND available_at > ? RETURNING *'),
      pruneQuarantine: db.prepare<[number]>('DELETE FROM subnet_quarantine WHERE available_at <= ?'),
      dropQuarantineOutside: db.prepare<[number, number, number]>(
        'DELETE FROM subnet_quarantine WHERE subnet_len != ? OR subnet_base < ? OR subnet_base > ?',
      ),

      // Everything the allocator must skip, ascending so it can stream and stop at the first gap.
      // A reserved subnet in use appears twice (node and reservation); the allocator allows equal bases.
      // Only from `from` up (each part through its index on subnet_base): see allocationFloor in sqlite-store.ts.
      selectTaken: db.prepare<{ now: number; from: number }, Ipv4Cidr>(
        `SELECT subnet_base AS base, subnet_len AS prefixLen FROM nodes WHERE subnet_base >= :from
         UNION ALL SELECT subnet_base, subnet_len FROM reservations WHERE subnet_base >= :from
         UNION ALL SELECT subnet_base, subnet_len FROM subnet_quarantine WHERE available_at > :now AND subnet_base >= :from
         ORDER BY base`,
      ),
      // When a subnet last left a node, while the changelog still holds it (compaction may have cut it).
      lastRemovalOf: db.prepare<[number], number | null>("SELECT max(at) FROM changes WHERE op = 'remove' AND subnet_base = ?").pluck(),
    };
  }

  reservation(nodeName: string): ReservationRecord | null {
    const row = this.stmts.selectReservation.get(nodeName);
    return row === undefined ? null : toReservation(row);
  }

  reservationOfSubnet(base: number): ReservationRecord | null {
    const row = this.stmts.selectReservationOfSubnet.get(base);
    return row === undefined ? null : toReservation(row);
  }

  listReservations(): ReservationRecord[] {
    return this.stmts.listReservations.all().map(toReservation);
  }

  insertReservation(reservation: ReservationRecord): ReservationRecord {
    const { nodeName, subnet, createdAt, createdBy } = reservation;
    const row = this.stmts.insertReservation.get(nodeName, subnet.base, subnet.prefixLen, createdAt.getTime(), createdBy);
    if (row === undefined) throw new Error(`inserting the reservation for "${nodeName}" returned no row`);
    return toReservation(row);
  }

  deleteReservation(nodeName: string): ReservationRecord | null {
    const row = this.stmts.deleteReservation.get(nodeName);
    return row === undefined ? null : toReservation(row);
  }

  countUnusedReservations(): number {
    return this.stmts.countUnusedReservations.get() ?? 0;
  }

  /** The quarantine of this subnet in force at `now`, or null. */
  quarantined(base: number, now: Date): QuarantineRecord | null {
    const row = this.stmts.selectQuarantine.get(base, now.getTime());
    return row === undefined ? null : toQuarantine(row);
  }

  /** The subnet `nodeName` held last, if it is still in quarantine at `now`. */
  quarantinedFor(nodeName: string, now: Date): QuarantineRecord | null {
    const row = this.stmts.selectQuarantineOfNode.get(nodeName, now.getTime());
    return row === undefined ? null : toQuarantine(row);
  }

  listQuarantine(now: Date): QuarantineRecord[] {
    return this.stmts.listQuarantine.all(now.getTime()).map(toQuarantine);
  }

  countQuarantine(now: Date): number {
    return this.stmts.countQuarantine.get(now.getTime()) ?? 0;
  }

  /** The quarantined subnet that becomes available first, or null if none is held. */
  soonestAvailable(now: Date): QuarantineRecord | null {
    const row = this.stmts.soonestAvailable.get(now.getTime());
    return row === undefined ? null : toQuarantine(row);
  }

  quarantine(record: QuarantineRecord): void {
    const { subnet, previousNode, releasedAt, availableAt } = record;
    this.stmts.upsertQuarantine.run(subnet.base, subnet.prefixLen, previousNode, releasedAt.getTime(), availableAt.getTime());
  }

  /** Ends the quarantine of this subnet; null if it was not in quarantine at `now`. */
  unquarantine(base: number, now: Date): QuarantineRecord | null {
    const row = this.stmts.deleteQuarantine.get(base, now.getTime());
    return row === undefined ? null : toQuarantine(row);
  }

  /** Deletes rows whose quarantine is over; returns how many. */
  pruneQuarantine(now: Date): number {
    return this.stmts.pruneQuarantine.run(now.getTime()).changes;
  }

  /** Deletes rows the pool of `config` could never hand out (after a network change); returns how many. */
  dropQuarantineOutside(config: NetworkConfig): number {
    return this.stmts.dropQuarantineOutside.run(config.subnetLen, config.subnetMin.base, config.subnetMax.base).changes;
  }

  /** Nodes', reservations' and quarantined subnets at `now` with a base of `from` or more, ascending, for the allocator. */
  taken(now: Date, from: number): IterableIterator<Ipv4Cidr> {
    return this.stmts.selectTaken.iterate({ now: now.getTime(), from });
  }

  lastRemovalOf(base: number): Date | null {
    const at = this.stmts.lastRemovalOf.get(base);
    return at === null || at === undefined ? null : new Date(at);
  }
}
