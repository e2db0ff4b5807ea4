/**
 * What one server instance holds in PostgreSQL for as long as it runs, on one connection of its own
 * (session-level advisory locks, DESIGN-NOTES "Batched execution"): its audit chain (a lane no other
 * instance appends to, so chain heads are never contended) and, on at most one instance, the sweeps.
 * When the process dies (kill -9) its session ends and both locks are free: a new instance takes the
 * lane and carries its chain on from the head; the next instance to try becomes the sweeper.
 */
import { GENESIS_HASH } from "../ledger/audit-chain.js";
import { SHARED_AUDIT_CHAIN } from "../db/repositories/audit.js";
import { limits } from "../limits.js";
import type { Logger } from "../logger.js";
import { PostgresConnection } from "./postgres-connection.js";
import type { DatabaseAvailability } from "../db/database-availability.js";

/** pg_try_advisory_lock(int4, int4) namespace for Code Pay's session locks ("CP15"). */
const LOCK_NAMESPACE = 0x43503135;
/** Key 0 in the namespace: the sweeper. Keys 2.. : audit lanes (chain 1 is the shared chain). */
const SWEEPER_KEY = 0;

export class PostgresSession {
  #connection: PostgresConnection | undefined;
  #lane: number | undefined;
  #sweeper = false;

  constructor(
    private readonly url: string,
    private readonly logger: Logger,
    /** Told when the session's connection dies (the database went away), as the Kysely pool tells it. */
    private readonly availability?: DatabaseAvailability,
  ) {}

  /**
   * The audit chain this instance appends its batches to. Claimed once (and again if the session's
   * connection was lost); if every lane is held, the shared chain, whose head the runner then locks.
   */
  async lane(): Promise<number> {
    const connection = await this.#connected();
    if (this.#lane !== undefined) return this.#lane;
    for (let lane = SHARED_AUDIT_CHAIN + 1; lane <= SHARED_AUDIT_CHAIN + limits.auditLanesMax; lane += 1) {
      const { rows } = await connection.query("select pg_try_advisory_lock($1, $2) as locked", [LOCK_NAMESPACE, lane]);
      if ((rows[0] as { locked: boolean }).locked) {
        await connection.query("insert into audit_head (id, seq, hash) values ($1, 0, $2) on conflict (id) do nothing", [lane, GENESIS_HASH]);
        this.#lane = lane;
        this.logger.info({ chain: lane }, "audit chain claimed");
        return lane;
      }
    }
    this.logger.warn({ lanes: limits.auditLanesMax }, "every audit lane is held by another instance: appending to the shared chain");
    this.#lane = SHARED_AUDIT_CHAIN;
    return SHARED_AUDIT_CHAIN;
  }

  /** True when this instance runs the sweeps: it holds the sweeper lock, or has just taken it. */
  async isSweeper(): Promise<boolean> {
    const connection = await this.#connected();
    if (this.#sweeper) return true;
    const { rows } = await connection.query("select pg_try_advisory_lock($1, $2) as locked", [LOCK_NAMESPACE, SWEEPER_KEY]);
    this.#sweeper = (rows[0] as { locked: boolean }).locked;
    if (this.#sweeper) this.logger.info("this instance runs the sweeps (expiry, result resends)");
    return this.#sweeper;
  }

  async #connected(): Promise<PostgresConnection> {
    if (this.#connection !== undefined && !this.#connection.broken) return this.#connection;
    await this.#connection?.close();
    this.#connection = undefined;
    // A lost session lost its locks with it: claim again.
    this.#lane = undefined;
    this.#sweeper = false;
    this.#connection = await PostgresConnection.open(this.url, (error) => this.availability?.noteError(error));
    return this.#connection;
  }

  async close(): Promise<void> {
    await this.#connection?.close();
    this.#connection = undefined;
  }
}
