/**
 * MQTT topic layout of the dedicated line. Every register lives under its own prefix
 *   codepay/v1/<storeId>/<registerId>/
 * and the broker confines each register to it (see broker/acl.ts):
 *   .../up      register -> server requests (QoS 1)
 *   .../down    server -> register replies and results (QoS 1)
 *   .../status  register presence, retained; the last will publishes "offline"
 */
export const TOPIC_ROOT = "codepay/v1";

/** Store and register ids are short slugs so they are safe as topic levels and in logs. */
export const ID_SLUG_PATTERN = /^[a-z0-9][a-z0-9-]{0,31}$/;

export function registerPrefix(storeId: string, registerId: string): string {
  return `${TOPIC_ROOT}/${storeId}/${registerId}`;
}

export function upTopic(storeId: string, registerId: string): string {
  return `${registerPrefix(storeId, registerId)}/up`;
}

export function downTopic(storeId: string, registerId: string): string {
  return `${registerPrefix(storeId, registerId)}/down`;
}

export function statusTopic(storeId: string, registerId: string): string {
  return `${registerPrefix(storeId, registerId)}/status`;
}

/** The server subscribes to these wildcards to hear every register. */
export const ALL_UP_TOPICS = `${TOPIC_ROOT}/+/+/up`;
export const ALL_STATUS_TOPICS = `${TOPIC_ROOT}/+/+/status`;

export interface RegisterTopic {
  readonly storeId: string;
  readonly registerId: string;
  readonly leaf: "up" | "down" | "status";
}

/** Splits a concrete topic into its parts; undefined when it is not a register topic. */
export function parseRegisterTopic(topic: string): RegisterTopic | undefined {
  const parts = topic.split("/");
  if (parts.length !== 5 || `${parts[0]}/${parts[1]}` !== TOPIC_ROOT) return undefined;
  const [, , storeId, registerId, leaf] = parts as [string, string, string, string, string];
  if (!ID_SLUG_PATTERN.test(storeId) || !ID_SLUG_PATTERN.test(registerId)) return undefined;
  if (leaf !== "up" && leaf !== "down" && leaf !== "status") return undefined;
  return { storeId, registerId, leaf };
}

export const QOS = 1 as const;
