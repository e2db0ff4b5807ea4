import type { Queryable } from "../database.js";

export interface CardRow {
  readonly token: string;
  readonly userId: string;
  readonly last4: string;
}

export async function findCard(db: Queryable, token: string): Promise<CardRow | undefined> {
  const row = await db.selectFrom("cards").selectAll().where("token", "=", token).executeTakeFirst();
  return row && { token: row.token, userId: row.user_id, last4: row.last4 };
}

/** Enrolling a card again moves it to the named user. */
export async function upsertCard(db: Queryable, card: CardRow, now: number): Promise<void> {
  await db
    .insertInto("cards")
    .values({ token: card.token, user_id: card.userId, last4: card.last4, created_at: now })
    .onConflict((oc) => oc.column("token").doUpdateSet({ user_id: card.userId, last4: card.last4 }))
    .execute();
}
