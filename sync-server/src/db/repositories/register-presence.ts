/** Fleet health rows (migration 0010): the latest presence heard of each register. */
import type { DeviceHealthState, FleetDevice } from "@codepay/contract";
import type { Db } from "../database.js";

export interface PresenceUpdate {
  readonly registerId: string;
  readonly state: "online" | "offline";
  /** When the server heard it (epoch ms). */
  readonly seenAt: number;
  readonly agentVersion?: string | undefined;
  readonly devices?: Partial<Record<FleetDevice, DeviceHealthState>> | undefined;
}

/**
 * Writes the updates in one transaction. An older update never replaces a newer one (instances hear
 * registers through a shared subscription, in any order); an offline update keeps the last version
 * and devices reported, which is what the register had when it went away.
 */
export async function upsertPresence(db: Db, updates: readonly PresenceUpdate[]): Promise<void> {
  if (updates.length === 0) return;
  await db.transaction().execute(async (tx) => {
    for (const update of updates) {
      await tx
        .insertInto("register_presence")
        .values({
          register_id: update.registerId,
          state: update.state,
          last_seen_at: update.seenAt,
          agent_version: update.agentVersion ?? null,
          devices_json: update.devices === undefined ? null : JSON.stringify(update.devices),
        })
        .onConflict((oc) =>
          oc
            .column("register_id")
            .doUpdateSet((eb) => ({
              state: eb.ref("excluded.state"),
              last_seen_at: eb.ref("excluded.last_seen_at"),
              agent_version: eb.fn.coalesce("excluded.agent_version", "register_presence.agent_version"),
              devices_json: eb.fn.coalesce("excluded.devices_json", "register_presence.devices_json"),
            }))
            .where("register_presence.last_seen_at", "<=", update.seenAt),
        )
        .execute();
    }
  });
}

/** The embedded broker started: every connection it had is gone, so no register is online until it says so. */
export async function markEveryRegisterOffline(db: Db, now: number): Promise<number> {
  const result = await db.updateTable("register_presence").set({ state: "offline", last_seen_at: now }).where("state", "=", "online").executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export interface RegisterHealthRow {
  readonly registerId: string;
  readonly storeId: string;
  readonly name: string;
  readonly disabled: boolean;
  /** "unknown": never heard of since fleet health was added. */
  readonly presence: "online" | "offline" | "unknown";
  readonly lastSeenAt: number | null;
  readonly agentVersion: string | null;
  readonly devices: Partial<Record<FleetDevice, DeviceHealthState>>;
}

/** Every register with what was last heard of it, by store and register id. */
export async function listRegisterHealth(db: Db, storeId?: string): Promise<RegisterHealthRow[]> {
  let query = db
    .selectFrom("registers")
    .leftJoin("register_presence", "register_presence.register_id", "registers.id")
    .select(["registers.id", "registers.store_id", "registers.name", "registers.disabled", "register_presence.state", "register_presence.last_seen_at", "register_presence.agent_version", "register_presence.devices_json"])
    .orderBy("registers.store_id")
    .orderBy("registers.id");
  if (storeId !== undefined) query = query.where("registers.store_id", "=", storeId);
  const rows = await query.execute();
  return rows.map((row) => ({
    registerId: row.id,
    storeId: row.store_id,
    name: row.name,
    disabled: Number(row.disabled) !== 0,
    presence: row.state ?? "unknown",
    lastSeenAt: row.last_seen_at === null ? null : Number(row.last_seen_at),
    agentVersion: row.agent_version,
    devices: row.devices_json === null ? {} : (JSON.parse(row.devices_json) as Partial<Record<FleetDevice, DeviceHealthState>>),
  }));
}
