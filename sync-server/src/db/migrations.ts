import { Migrator, type Kysely, type Migration, type MigrationProvider } from "kysely";
import * as initial from "./migrations/0001-initial.js";
import * as settlementCore from "./migrations/0002-settlement-core.js";
import * as scaleOut from "./migrations/0003-scale-out.js";
import * as walletHistory from "./migrations/0004-wallet-history.js";
import * as auditChains from "./migrations/0005-audit-chains.js";
import * as referenceVersion from "./migrations/0006-reference-version.js";
import * as outboxUnackedIndex from "./migrations/0007-outbox-unacked-index.js";
import * as registerPaymentIds from "./migrations/0008-register-payment-ids.js";
import * as oneOpenPaymentPerRegister from "./migrations/0009-one-open-payment-per-register.js";
import * as registerPresence from "./migrations/0010-register-presence.js";
import * as operatorConsole from "./migrations/0011-operator-console.js";
import * as idempotencyKeyOrder from "./migrations/0012-idempotency-key-order.js";
import * as auditHashNotIndexed from "./migrations/0013-audit-hash-not-indexed.js";

/** Migrations live in code (not read from a folder) so the built CLI and the tests run the same list. */
const MIGRATIONS: Record<string, Migration> = {
  "0001-initial": initial,
  "0002-settlement-core": settlementCore,
  "0003-scale-out": scaleOut,
  "0004-wallet-history": walletHistory,
  "0005-audit-chains": auditChains,
  "0006-reference-version": referenceVersion,
  "0007-outbox-unacked-index": outboxUnackedIndex,
  "0008-register-payment-ids": registerPaymentIds,
  "0009-one-open-payment-per-register": oneOpenPaymentPerRegister,
  "0010-register-presence": registerPresence,
  "0011-operator-console": operatorConsole,
  "0012-idempotency-key-order": idempotencyKeyOrder,
  "0013-audit-hash-not-indexed": auditHashNotIndexed,
};

const provider: MigrationProvider = { getMigrations: async () => MIGRATIONS };

export async function migrateToLatest<Schema>(db: Kysely<Schema>): Promise<void> {
  const migrator = new Migrator({ db, provider });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === "Error");
  if (error !== undefined || failed !== undefined) {
    const reason = error instanceof Error ? error.message : String(error ?? failed?.migrationName);
    throw new Error(`database migration failed: ${reason}`, { cause: error });
  }
}
