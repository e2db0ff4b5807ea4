/**
 * The first MQTT connection into a register account makes that account's JetStream streams
 * (sessions, QoS 1 messages, retained) with their replicas. Many first connections at once into a
 * fresh account race to make them: on 3 loopback nodes, 16 registers connecting together saw some
 * refused after a 4 s timeout ("unable to connect: lookup messages stream ... timeout"), and a
 * register whose connection is refused retries. A real agent reconnects with its backoff; the
 * bench's registers count a closed connection as a failure, so the bench lets one register of each
 * account in first, one after another (docs/deploy/broker-cluster.md, "Register accounts").
 */
import mqtt from "mqtt";
import { listRegisters } from "@codepay/sync-server";
import { registerAccountIndex } from "@codepay/sync-server/parts";

export interface WarmUpOptions {
  readonly dataDir: string;
  readonly mqttUrl: string;
  readonly accounts: number;
  /** PEM: the CA and a certificate of this (enabled) register. */
  readonly tls: (registerId: string) => { readonly ca: string | Buffer; readonly cert: string | Buffer; readonly key: string | Buffer };
  readonly deadlineMs?: number;
}

/** Connects (clean session, its own client id) as one enabled register of each account until each is let in; returns how many accounts were warmed. */
export async function warmUpRegisterAccounts(options: WarmUpOptions): Promise<number> {
  const { registers } = await listRegisters({ dataDir: options.dataDir });
  const firstOfAccount = new Map<number, string>();
  for (const register of registers) {
    if (register.disabled) continue;
    const account = registerAccountIndex(register.registerId, options.accounts);
    if (!firstOfAccount.has(account)) firstOfAccount.set(account, register.registerId);
  }
  for (const registerId of firstOfAccount.values()) {
    const deadline = Date.now() + (options.deadlineMs ?? 60_000);
    for (;;) {
      try {
        const tls = options.tls(registerId);
        const client = await mqtt.connectAsync(options.mqttUrl, { clientId: `warm-up-${registerId}`, clean: true, protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 15_000, ca: tls.ca, cert: tls.cert, key: tls.key });
        await client.endAsync();
        break;
      } catch (error) {
        if (Date.now() > deadline) throw new Error(`register account of ${registerId} never let a register in: ${(error as Error).message}`);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }
  return firstOfAccount.size;
}
