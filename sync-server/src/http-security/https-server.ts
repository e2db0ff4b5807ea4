/**
 * HTTPS for the shopper API and the carrier gateway. fastify's `https` option changes the
 * instance's server type everywhere the instance is named; a server factory keeps one type for
 * both (an https.Server answers requests exactly as an http.Server does).
 */
import type http from "node:http";
import https from "node:https";
import { TLS_SERVER_POLICY } from "../tls-policy.js";

/** Certificate chain and key, PEM (`admin tls issue-server`). */
export interface HttpsMaterial {
  readonly cert: Buffer;
  readonly key: Buffer;
}

export function httpsServer(material: HttpsMaterial | undefined): { serverFactory?: (handler: http.RequestListener) => http.Server } {
  if (material === undefined) return {};
  return { serverFactory: (handler) => https.createServer({ cert: material.cert, key: material.key, ...TLS_SERVER_POLICY }, handler) as unknown as http.Server };
}
