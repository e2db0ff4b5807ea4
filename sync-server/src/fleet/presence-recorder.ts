/**
 * Fleet health (issue 20): keeps what each register last said on its status topic. Presence comes in
 * bursts (a restart storm is 20,000 logins), so updates are held in memory, the latest per register,
 * and written together once per `flushIntervalMs` in one transaction; never on the payment path. A
 * write that fails (the database is down) keeps its updates for the next round unless newer ones came.
 * The one owner of the register_presence rows in a running server.
 */
import type { Presence } from "@codepay/contract";
import type { Db } from "../db/database.js";
import { upsertPresence, type PresenceUpdate } from "../db/repositories/register-presence.js";
import type { Logger } from "../logger.js";
import type { RegisterAddress } from "../settlement/register-address.js";

export class PresenceRecorder {
  readonly #pending = new Map<string, PresenceUpdate>();
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> | undefined;
  #stopped = false;

  constructor(
    private readonly db: Db,
    private readonly clock: () => number,
    private readonly logger: Logger,
    private readonly flushIntervalMs: number,
    /** At most this many registers held between writes; beyond it the oldest update is dropped (the next report replaces it). */
    private readonly pendingMax: number,
  ) {}

  note(register: RegisterAddress, presence: Presence): void {
    if (this.#stopped) return;
    const update: PresenceUpdate = {
      registerId: register.registerId,
      state: presence.state,
      seenAt: this.clock(),
      ...(presence.agentVersion !== undefined ? { agentVersion: presence.agentVersion } : {}),
      ...(presence.devices !== undefined ? { devices: presence.devices } : {}),
    };
    this.#pending.delete(register.registerId);
    if (this.#pending.size >= this.pendingMax) this.#pending.delete(this.#pending.keys().next().value!);
    this.#pending.set(register.registerId, update);
    this.#schedule();
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      void this.flush();
    }, this.flushIntervalMs);
    this.#timer.unref?.();
  }

  /** Writes what is held now (tests, shutdown). */
  async flush(): Promise<void> {
    await this.#flushing;
    if (this.#pending.size === 0) return;
    const updates = [...this.#pending.values()];
    this.#pending.clear();
    this.#flushing = upsertPresence(this.db, updates)
      .catch((error: unknown) => {
        this.logger.warn({ err: error, registers: updates.length }, "register presence not written; kept for the next round");
        for (const update of updates) if (!this.#pending.has(update.registerId)) this.#pending.set(update.registerId, update);
        // Tried again next round by itself: a register that said nothing since must not wait for another's report.
        this.#schedule();
      })
      .finally(() => {
        this.#flushing = undefined;
      });
    await this.#flushing;
  }

  async stop(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#stopped = true; // the last flush below is the last: nothing is scheduled after it
    await this.flush().catch(() => undefined);
  }
}
