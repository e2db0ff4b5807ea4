/**
 * codepay-agent pair <code> --server http://<server>:8080 --config agent.json
 * Redeems a one-time pairing code (`codepay-server admin register pair`) at POST /api/v1/pairings and
 * writes the agent's config file (mode 0600: it holds the register password and the card key).
 * An existing config keeps its devices, cashier API, journal path and language: pairing again only
 * replaces what the server gives, and keeps the file's owner (a technician pairs as root the config the
 * codepay-agent package made for its `codepay` user). Never prints the password or the card key.
 * Exit codes: 0 paired, 1 refused or unreachable, 2 bad usage.
 */
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { PAIRING_PATH, PairingRequestSchema, PairingResponseSchema } from "@codepay/contract";
import { parseConfig } from "./config.js";

export interface PairOptions {
  readonly code: string | undefined;
  readonly server: string;
  readonly configPath: string | undefined;
  readonly out: (line: string) => void;
}

function previousConfig(file: string): Record<string, unknown> {
  if (!existsSync(file)) return {};
  try {
    const value: unknown = JSON.parse(readFileSync(file, "utf8"));
    return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** Root rewriting another user's config gives the new file to that user, so the agent can still read it. */
function keepOwner(file: string, temporary: string): void {
  if (!existsSync(file) || process.getuid?.() !== 0) return;
  const { uid, gid } = statSync(file);
  chownSync(temporary, uid, gid);
}

export async function pairAgent(options: PairOptions): Promise<number> {
  const request = PairingRequestSchema.safeParse({ pairingCode: options.code?.trim().toUpperCase() });
  if (!request.success || options.configPath === undefined) {
    options.out("usage: codepay-agent pair <ABCD-EFGH> --server http://<server>:8080 --config agent.json");
    return 2;
  }
  let response: Response;
  try {
    response = await fetch(new URL(PAIRING_PATH, options.server), { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(request.data) });
  } catch (error) {
    options.out(`server unreachable at ${options.server}: ${(error as Error).message}`);
    return 1;
  }
  const body: unknown = await response.json().catch(() => undefined);
  const paired = PairingResponseSchema.safeParse(body);
  if (!response.ok || !paired.success) {
    const code = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
    options.out(`pairing refused: ${code?.code ?? response.status} ${code?.message ?? ""}`.trim());
    return 1;
  }
  const answer = paired.data;
  const file = path.resolve(options.configPath);
  const previous = previousConfig(file);
  const config = parseConfig({
    language: "en",
    journalPath: path.join(path.dirname(file), `agent-${answer.registerId}.sqlite`),
    ...previous,
    server: { url: answer.mqttUrl },
    register: { storeId: answer.storeId, registerId: answer.registerId, password: answer.password },
    currency: answer.currency,
    storeName: answer.storeName.slice(0, 40),
    ...(answer.registerName !== undefined && answer.registerName.length > 0 ? { registerName: answer.registerName.slice(0, 40) } : {}),
    cardKey: answer.cardKey,
  });
  mkdirSync(path.dirname(file), { recursive: true });
  // Written beside the target with 0600, then renamed over it: never a readable or half-written config.
  const temporary = `${file}.pairing-${process.pid}`;
  writeFileSync(temporary, `${JSON.stringify({ ...previous, ...config }, null, 2)}\n`, { mode: 0o600 });
  chmodSync(temporary, 0o600);
  keepOwner(file, temporary);
  renameSync(temporary, file);
  options.out(`paired register ${answer.registerId} of ${answer.storeName} (${answer.storeId}); config written to ${file}`);
  return 0;
}
