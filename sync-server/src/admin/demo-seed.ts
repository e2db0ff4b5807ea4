import { createStore, enrollRegister, enrollUser, topUp } from "./admin-commands.js";

export const DEMO = {
  storeId: "demo-store",
  storeName: "Demo Store",
  currency: "JPY",
  registerId: "demo-reg-1",
  registerName: "Register 1",
  userId: "demo-user",
  userName: "Demo User",
  phoneId: "+810000000001",
  topUpMinor: 1_000_000,
  topUpRequestId: "demo-seed-topup",
} as const;

export interface DemoSeedOutput {
  readonly storeId: string;
  readonly registerId: string;
  /** What the shopper's phone shows and the receipt prints. */
  readonly registerName: string;
  readonly password: string;
  readonly userId: string;
  readonly phoneId: string;
  readonly subscriberCredential: string;
}

/**
 * Idempotent demo data (contracts.md). Ids are fixed; the password and the credential are stored
 * only as hashes, so each run rotates them and returns the new ones. The top-up has a fixed request
 * id, so it happens once however often this runs.
 */
export async function demoSeed(input: { readonly dataDir: string; readonly mqttUrl?: string }): Promise<DemoSeedOutput> {
  await createStore({ dataDir: input.dataDir, id: DEMO.storeId, name: DEMO.storeName, currency: DEMO.currency });
  const register = await enrollRegister({
    dataDir: input.dataDir,
    storeId: DEMO.storeId,
    registerId: DEMO.registerId,
    name: DEMO.registerName,
    ...(input.mqttUrl !== undefined ? { mqttUrl: input.mqttUrl } : {}),
  });
  const user = await enrollUser({ dataDir: input.dataDir, userId: DEMO.userId, name: DEMO.userName, phoneId: DEMO.phoneId });
  await topUp({ dataDir: input.dataDir, userId: DEMO.userId, amountMinor: DEMO.topUpMinor, currency: DEMO.currency, requestId: DEMO.topUpRequestId });
  return {
    storeId: DEMO.storeId,
    registerId: DEMO.registerId,
    registerName: DEMO.registerName,
    password: register.password,
    userId: DEMO.userId,
    phoneId: DEMO.phoneId,
    subscriberCredential: user.subscriberCredential,
  };
}
