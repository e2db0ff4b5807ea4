/**
 * Scale-out bench: how often PostgreSQL's active backends wait for a lock. Every `intervalMs` one
 * query of `pg_stat_activity` on a connection of its own (not counted among the active): the active
 * backends of the database, and those among them with `wait_event_type = 'Lock'` (a row, a
 * transaction id, an advisory lock), plus the statement the waiters wait in most. Counts are
 * cumulative; the bench takes their difference over its measured window.
 */
import pg from "pg";

export interface LockSamples {
  /** Samples taken. */
  readonly samples: number;
  /** Active backends seen, summed over the samples. */
  readonly active: number;
  /** Of those, waiting on a lock. */
  readonly waitingOnLock: number;
  /** The statements lock waiters were running, by how often they were seen (first 80 characters). */
  readonly waitingIn: ReadonlyMap<string, number>;
}

export class PostgresLockSampler {
  readonly #client: pg.Client;
  readonly #waitingIn = new Map<string, number>();
  #samples = 0;
  #active = 0;
  #waiting = 0;
  #timer: NodeJS.Timeout | undefined;
  #busy = false;

  private constructor(client: pg.Client) {
    this.#client = client;
  }

  static async start(url: string, intervalMs: number): Promise<PostgresLockSampler> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const sampler = new PostgresLockSampler(client);
    sampler.#timer = setInterval(() => void sampler.#sample(), intervalMs);
    return sampler;
  }

  read(): LockSamples {
    return { samples: this.#samples, active: this.#active, waitingOnLock: this.#waiting, waitingIn: new Map(this.#waitingIn) };
  }

  async #sample(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      const { rows } = await this.#client.query<{ wait_event_type: string | null; query: string }>(
        "select wait_event_type, query from pg_stat_activity where state = 'active' and datname = current_database() and pid <> pg_backend_pid()",
      );
      this.#samples += 1;
      this.#active += rows.length;
      for (const row of rows) {
        if (row.wait_event_type !== "Lock") continue;
        this.#waiting += 1;
        const statement = row.query.replace(/\s+/g, " ").slice(0, 80);
        this.#waitingIn.set(statement, (this.#waitingIn.get(statement) ?? 0) + 1);
      }
    } catch {
      // The cluster is stopping: the samples so far stand.
    } finally {
      this.#busy = false;
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#client.end().catch(() => undefined);
  }
}

/** The window's lock-wait share and the statement most waited in, from two cumulative readings. */
export function lockWaitFigures(start: LockSamples, end: LockSamples): { samples: number; active: number; waitingOnLock: number; share: number; mostWaitedIn: string | null } {
  const active = end.active - start.active;
  const waitingOnLock = end.waitingOnLock - start.waitingOnLock;
  let mostWaitedIn: string | null = null;
  let most = 0;
  for (const [statement, count] of end.waitingIn) {
    const inWindow = count - (start.waitingIn.get(statement) ?? 0);
    if (inWindow > most) {
      most = inWindow;
      mostWaitedIn = statement;
    }
  }
  return { samples: end.samples - start.samples, active, waitingOnLock, share: active === 0 ? 0 : waitingOnLock / active, mostWaitedIn };
}
