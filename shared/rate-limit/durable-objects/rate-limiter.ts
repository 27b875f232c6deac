/**
 * RateLimiter Durable Object: one object per bucket key (`idFromName(key)`), SQLite-backed.
 *
 * All state of a bucket lives in its one object, and a Durable Object runs one call at a time, so the limit holds
 * globally across isolates. The math is the pure module ../domain/token-bucket.ts; this class only keeps the state
 * in memory, writes it through to SQLite on every change (a restarted object resumes where it was), and deletes
 * it once the bucket is full again with nothing lent, so idle keys cost no storage.
 */
import { DurableObject } from 'cloudflare:workers';
import {
  type AcquireRequest,
  type AcquireResult,
  acquire,
  advance,
  type BucketParams,
  type BucketState,
  charge,
  isIdle,
  msUntil,
  newBucket,
} from '../domain/token-bucket.js';

interface Row extends Record<string, SqlStorageValue> {
  tokens: number;
  updated_at: number;
  epoch: string;
  next_lease: number;
  leases: string;
  capacity: number;
  refill: number;
}

/** Extra time after the bucket is full before its state is dropped. */
const IDLE_GRACE_MS = 1000;

function validParams(p: BucketParams): BucketParams {
  if (
    !(Number.isFinite(p.capacity) && p.capacity >= 1 && Number.isFinite(p.refillPerSecond) && p.refillPerSecond > 0)
  ) {
    throw new TypeError('invalid bucket parameters');
  }
  return { capacity: p.capacity, refillPerSecond: p.refillPerSecond };
}

export class RateLimiter extends DurableObject {
  private bucket: BucketState | undefined;
  private params: BucketParams | undefined;
  private alarmAt: number | undefined;
  /** Calls served since this instance started (memory only): shows how much leasing saves. */
  private calls = 0;

  /** False after `deleteAll()` dropped the table; the next save creates it again. */
  private schemaReady = false;

  constructor(ctx: DurableObjectState, env: unknown) {
    super(ctx, env as never);
    this.ensureSchema();
    const row = ctx.storage.sql.exec<Row>('SELECT * FROM bucket WHERE id = 1').toArray()[0];
    if (row) {
      this.bucket = {
        tokens: row.tokens,
        updatedAt: row.updated_at,
        epoch: row.epoch,
        nextLeaseId: row.next_lease,
        leases: JSON.parse(row.leases),
      };
      this.params = { capacity: row.capacity, refillPerSecond: row.refill };
    }
  }

  /** Returns leases, takes `cost`, lends up to `lease`: see token-bucket.ts `acquire`. */
  acquire(params: BucketParams, req: AcquireRequest): AcquireResult {
    const p = validParams(params);
    const now = Date.now();
    this.calls += 1;
    const { state, result } = acquire(this.current(p, now), p, now, {
      cost: Math.max(0, Number(req.cost) || 0),
      lease: Math.max(0, Number(req.lease) || 0),
      leaseTtlMs: Math.max(1, Number(req.leaseTtlMs) || 1),
      returns: Array.isArray(req.returns) ? req.returns : [],
    });
    this.save(state, p);
    return result;
  }

  /** Charges a penalty without refusing anything (failed client authentication). */
  charge(params: BucketParams, cost: number): void {
    const p = validParams(params);
    const now = Date.now();
    this.calls += 1;
    this.save(charge(this.current(p, now), p, now, Math.max(0, Number(cost) || 0)), p);
  }

  /** Read-only view for tests and operators. */
  inspect(): { state: BucketState | undefined; params: BucketParams | undefined; calls: number } {
    return { state: this.bucket, params: this.params, calls: this.calls };
  }

  override async alarm(): Promise<void> {
    this.alarmAt = undefined;
    if (!this.bucket || !this.params) return;
    const state = advance(this.bucket, this.params, Date.now());
    if (isIdle(state, this.params)) {
      // Nothing a fresh bucket would not know: drop it (the next call starts a new incarnation with a new epoch).
      this.bucket = undefined;
      this.params = undefined;
      this.schemaReady = false;
      await this.ctx.storage.deleteAll();
      return;
    }
    this.bucket = state;
    this.scheduleCleanup(state, this.params);
  }

  private current(params: BucketParams, now: number): BucketState {
    if (!this.bucket) this.bucket = newBucket(params, now, `${now.toString(36)}${crypto.randomUUID().slice(0, 8)}`);
    return this.bucket;
  }

  private ensureSchema(): void {
    if (this.schemaReady) return;
    this.ctx.storage.sql.exec(
      `CREATE TABLE IF NOT EXISTS bucket (
         id INTEGER PRIMARY KEY CHECK (id = 1),
         tokens REAL NOT NULL, updated_at INTEGER NOT NULL, epoch TEXT NOT NULL, next_lease INTEGER NOT NULL,
         leases TEXT NOT NULL, capacity REAL NOT NULL, refill REAL NOT NULL)`,
    );
    this.schemaReady = true;
  }

  private save(state: BucketState, params: BucketParams): void {
    this.bucket = state;
    this.params = params;
    this.ensureSchema();
    this.ctx.storage.sql.exec(
      `INSERT OR REPLACE INTO bucket (id, tokens, updated_at, epoch, next_lease, leases, capacity, refill)
       VALUES (1, ?, ?, ?, ?, ?, ?, ?)`,
      state.tokens,
      state.updatedAt,
      state.epoch,
      state.nextLeaseId,
      JSON.stringify(state.leases),
      params.capacity,
      params.refillPerSecond,
    );
    this.scheduleCleanup(state, params);
  }

  private scheduleCleanup(state: BucketState, params: BucketParams): void {
    if (this.alarmAt !== undefined) return; // an early alarm just reschedules itself
    const at = state.updatedAt + msUntil(state, params, params.capacity) + IDLE_GRACE_MS;
    this.alarmAt = at;
    void this.ctx.storage.setAlarm(at);
  }
}
