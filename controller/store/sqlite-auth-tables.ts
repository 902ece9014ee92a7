// SQL for the credential tables and the audit log (migration 202611250002). SqliteStore
// owns the connection and the transactions; this class holds the statements and row
// conversions, so that node changes and their audit rows can share one transaction.
import type Database from 'better-sqlite3';
import { printable } from '../../common/errors.js';
import type {
  ApiKeyRecord,
  ApiKeyScope,
  AuditEventInput,
  AuditEventRecord,
  CertificateRecord,
  JoinTokenRecord,
} from './store.js';

interface JoinTokenRow {
  id: string;
  node_name: string;
  secret_hash: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
  created_by: string;
}

interface CertificateRow {
  serial: string;
  node_name: string;
  issued_at: number;
  expires_at: number;
  revoked_at: number | null;
  revoke_reason: string;
}

interface ApiKeyRow {
  id: string;
  secret_hash: string;
  scope: ApiKeyScope;
  description: string;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
  created_by: string;
}

interface AuditRow {
  id: number;
  at: number;
  actor: string;
  action: string;
  target: string;
  outcome: 'ok' | 'denied';
  detail: string;
  peer: string;
}

const dateOrNull = (ms: number | null): Date | null => (ms === null ? null : new Date(ms));

function toJoinToken(row: JoinTokenRow): JoinTokenRecord {
  return {
    id: row.id,
    nodeName: row.node_name,
    secretHash: row.secret_hash,
    createdAt: new Date(row.created_at),
    expiresAt: new Date(row.expires_at),
    usedAt: dateOrNull(row.used_at),
    createdBy: row.created_by,
  };
}

function toCertificate(row: CertificateRow): CertificateRecord {
  return {
    serial: row.serial,
    nodeName: row.node_name,
    issuedAt: new Date(row.issued_at),
    expiresAt: new Date(row.expires_at),
    revokedAt: dateOrNull(row.revoked_at),
    revokeReason: row.revoke_reason,
  };
}

function toApiKey(row: ApiKeyRow): ApiKeyRecord {
  return {
    id: row.id,
    secretHash: row.secret_hash,
    scope: row.scope,
    description: row.description,
    createdAt: new Date(row.created_at),
    expiresAt: dateOrNull(row.expires_at),
    revokedAt: dateOrNull(row.revoked_at),
    createdBy: row.created_by,
  };
}

function toAuditEvent(row: AuditRow): AuditEventRecord {
  return { ...row, at: new Date(row.at) };
}

export class AuthTables {
  private readonly stmts;

  constructor(db: Database.Database) {
    this.stmts = {
      insertJoinToken: db.prepare<[string, string, string, number, number, string], JoinTokenRow>(
        `INSERT INTO join_tokens (id, node_name, secret_hash, created_at, expires_at, created_by)
         VALUES (?, ?, ?, ?, ?, ?) RETURNING *`,
      ),
      selectJoinToken: db.prepare<[string], JoinTokenRow>('SELECT * FROM join_tokens WHERE id = ?'),
      listJoinTokens: db.prepare<[], JoinTokenRow>('SELECT * FROM join_tokens ORDER BY created_at DESC, id'),
      listJoinTokensOfNode: db.prepare<[string], JoinTokenRow>('SELECT * FROM join_tokens WHERE node_name = ? ORDER BY created_at DESC, id'),
      // "used_at IS NULL" makes the second of two racing joins change nothing.
      expireJoinToken: db.prepare<[number, string], JoinTokenRow>(
        'UPDATE join_tokens SET expires_at = min(expires_at, ?) WHERE id = ? RETURNING *',
      ),
      useJoinToken: db.prepare<[number, string]>('UPDATE join_tokens SET used_at = ? WHERE id = ? AND used_at IS NULL'),
      insertCertificate: db.prepare<[string, string, number, number]>(
        'INSERT INTO node_certificates (serial, node_name, issued_at, expires_at) VALUES (?, ?, ?, ?)',
      ),
      selectCertificate: db.prepare<[string], CertificateRow>('SELECT * FROM node_certificates WHERE serial = ?'),
      // Certificates of the node issued no later than `serial`: what a newer certificate replaces.
      revokeOlderCertificates: db.prepare<[number, string, string, string, string]>(
        `UPDATE node_certificates SET revoked_at = ?, revoke_reason = ?
         WHERE node_name = ? AND serial != ? AND revoked_at IS NULL
           AND issued_at <= (SELECT issued_at FROM node_certificates WHERE serial = ?)`,
      ),
      countOlderCertificates: db
        .prepare<[string, string, string], number>(
          `SELECT count(*) FROM node_certificates
           WHERE node_name = ? AND serial != ? AND revoked_at IS NULL
             AND issued_at <= (SELECT issued_at FROM node_certificates WHERE serial = ?)`,
        )
        .pluck(),
      revokeCertificatesOfNode: db.prepare<[number, string, string]>(
        'UPDATE node_certificates SET revoked_at = ?, revoke_reason = ? WHERE node_name = ? AND revoked_at IS NULL',
      ),
      insertApiKey: db.prepare<[string, string, string, string, number, number | null, string], ApiKeyRow>(
        `INSERT INTO api_keys (id, secret_hash, scope, description, created_at, expires_at, created_by)
         VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *`,
      ),
      selectApiKey: db.prepare<[string], ApiKeyRow>('SELECT * FROM api_keys WHERE id = ?'),
      listApiKeys: db.prepare<[], ApiKeyRow>('SELECT * FROM api_keys ORDER BY created_at DESC, id'),
      revokeApiKey: db.prepare<[number, string], ApiKeyRow>(
        'UPDATE api_keys SET revoked_at = coalesce(revoked_at, ?) WHERE id = ? RETURNING *',
      ),
      insertAudit: db.prepare<[number, string, string, string, string, string, string]>(
        'INSERT INTO audit_events (at, actor, action, target, outcome, detail, peer) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      listAudit: db.prepare<[number, number], AuditRow>('SELECT * FROM audit_events WHERE at >= ? ORDER BY id DESC LIMIT ?'),
    };
  }

  insertJoinToken(token: Omit<JoinTokenRecord, 'usedAt'>): JoinTokenRecord {
    const row = this.stmts.insertJoinToken.get(
      token.id,
      token.nodeName,
      token.secretHash,
      token.createdAt.getTime(),
      token.expiresAt.getTime(),
      token.createdBy,
    );
    if (row === undefined) throw new Error(`inserting join token ${token.id} returned no row`);
    return toJoinToken(row);
  }

  joinToken(id: string): JoinTokenRecord | null {
    const row = this.stmts.selectJoinToken.get(id);
    return row === undefined ? null : toJoinToken(row);
  }

  listJoinTokens(nodeName?: string): JoinTokenRecord[] {
    const rows = nodeName === undefined ? this.stmts.listJoinTokens.all() : this.stmts.listJoinTokensOfNode.all(nodeName);
    return rows.map(toJoinToken);
  }

  expireJoinToken(id: string, at: Date): JoinTokenRecord | null {
    const row = this.stmts.expireJoinToken.get(at.getTime(), id);
    return row === undefined ? null : toJoinToken(row);
  }

  /** True if this call marked the token used; false if it already was. */
  useJoinToken(id: string, at: Date): boolean {
    return this.stmts.useJoinToken.run(at.getTime(), id).changes === 1;
  }

  insertCertificate(cert: CertificateRecord): void {
    this.stmts.insertCertificate.run(cert.serial, cert.nodeName, cert.issuedAt.getTime(), cert.expiresAt.getTime());
  }

  certificate(serial: string): CertificateRecord | null {
    const row = this.stmts.selectCertificate.get(serial);
    return row === undefined ? null : toCertificate(row);
  }

  /** How many certificates revokeOlderCertificates would revoke (a read: usually none). */
  countOlderCertificates(nodeName: string, serial: string): number {
    return this.stmts.countOlderCertificates.get(nodeName, serial, serial) ?? 0;
  }

  revokeOlderCertificates(nodeName: string, serial: string, at: Date, reason: string): number {
    return this.stmts.revokeOlderCertificates.run(at.getTime(), reason, nodeName, serial, serial).changes;
  }

  revokeCertificatesOf(nodeName: string, at: Date, reason: string): number {
    return this.stmts.revokeCertificatesOfNode.run(at.getTime(), reason, nodeName).changes;
  }

  insertApiKey(key: ApiKeyRecord): ApiKeyRecord {
    const row = this.stmts.insertApiKey.get(
      key.id,
      key.secretHash,
      key.scope,
      key.description,
      key.createdAt.getTime(),
      key.expiresAt?.getTime() ?? null,
      key.createdBy,
    );
    if (row === undefined) throw new Error(`inserting API key ${key.id} returned no row`);
    return toApiKey(row);
  }

  apiKey(id: string): ApiKeyRecord | null {
    const row = this.stmts.selectApiKey.get(id);
    return row === undefined ? null : toApiKey(row);
  }

  listApiKeys(): ApiKeyRecord[] {
    return this.stmts.listApiKeys.all().map(toApiKey);
  }

  revokeApiKey(id: string, at: Date): ApiKeyRecord | null {
    const row = this.stmts.revokeApiKey.get(at.getTime(), id);
    return row === undefined ? null : toApiKey(row);
  }

  /** Every field may hold a caller's text: stored printable and bounded, whoever wrote the event. */
  audit(event: AuditEventInput): void {
    this.stmts.insertAudit.run(
      event.at.getTime(),
      printable(event.actor, 100),
      printable(event.action, 64),
      printable(event.target, 100),
      event.outcome,
      printable(event.detail ?? '', 1000),
      printable(event.peer ?? '', 200),
    );
  }

  listAudit(since: Date | null, limit: number): AuditEventRecord[] {
    return this.stmts.listAudit.all(since?.getTime() ?? 0, limit).map(toAuditEvent);
  }
}
