/**
 * The dedicated line to registers, as the settlement side sees it. aedes implements it today
 * (aedes-register-line.ts); an external broker with shared subscriptions (EMQX, mosquitto) can
 * implement it later without touching the handlers.
 */
import type { Presence, ServerMessage } from "@codepay/contract";
import type { RegisterAddress } from "../settlement/register-address.js";

export type RequestListener = (from: RegisterAddress, payload: Buffer) => void;
export type OnlineListener = (register: RegisterAddress) => void;
/** A register's presence as it published it on its status topic (its online report, goodbye or last will). */
export type PresenceListener = (register: RegisterAddress, presence: Presence) => void;

export interface RegisterLine {
  /** Every message a register publishes on its `.../up` topic. */
  onRequest(listener: RequestListener): void;
  /** A register connected or subscribed to its `.../down` topic: time to resend unacknowledged results. */
  onRegisterOnline(listener: OnlineListener): void;
  /** Every well-formed presence a register publishes (fleet health). */
  onPresence(listener: PresenceListener): void;
  /** QoS 1 to the register's `.../down` topic. */
  publishToRegister(to: RegisterAddress, message: ServerMessage): Promise<void>;
  /**
   * Closes the register's connection once what was published to it has left (a disabled or removed
   * register, after its REGISTER_DISABLED / UNKNOWN_REGISTER reply). A line that cannot (an
   * external broker, test lines) leaves it out; there the broker's ACL files keep the register out.
   */
  disconnectRegister?(register: RegisterAddress): Promise<void>;
}
