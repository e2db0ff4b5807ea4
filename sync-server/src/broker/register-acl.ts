/**
 * Which topics a register may use (AWS IoT / mosquitto `%c` pattern): it publishes only to its own
 * `.../up` and `.../status`, and subscribes only to its own `.../down`, spelled out without wildcards.
 * Pure, so the rules are tested without a broker.
 */
import { downTopic, statusTopic, upTopic } from "@codepay/contract";
import type { RegisterAddress } from "../settlement/register-requests.js";

export function mayPublish(register: RegisterAddress, topic: string): boolean {
  return topic === upTopic(register.storeId, register.registerId) || topic === statusTopic(register.storeId, register.registerId);
}

export function maySubscribe(register: RegisterAddress, topicFilter: string): boolean {
  if (topicFilter.includes("+") || topicFilter.includes("#")) return false;
  return topicFilter === downTopic(register.storeId, register.registerId);
}
