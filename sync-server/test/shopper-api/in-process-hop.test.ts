/**
 * Which requests the gateway's in-process hop takes, and the body it hands over (pure: no server).
 * Everything it does not take goes over the signed HTTP hop; the end-to-end comparison of the two
 * hops is sync-server/test/e2e/gateway-hop.test.ts.
 */
import type { FastifyRequest } from "fastify";
import Fastify from "fastify";
import { describe, expect, it } from "vitest";
import { shopperBodyOf, shopperCallOf, type JsonBodyParser } from "../../src/carrier-gateway/in-process-hop.js";

const parseJson = Fastify().getDefaultJsonParser("error", "error") as JsonBodyParser;

function requestWith(contentType: string | undefined, body: unknown): FastifyRequest {
  return { headers: contentType === undefined ? {} : { "content-type": contentType }, body } as unknown as FastifyRequest;
}

describe("shopperCallOf", () => {
  it("names the three operations on their exact paths", () => {
    expect(shopperCallOf("POST", "/api/v1/claims")).toEqual({ operation: "claim" });
    expect(shopperCallOf("POST", "/api/v1/payments/pay-0001_ab/approve")).toEqual({ operation: "approve", paymentId: "pay-0001_ab" });
    expect(shopperCallOf("POST", `/api/v1/payments/${"x".repeat(64)}/decline`)).toEqual({ operation: "decline", paymentId: "x".repeat(64) });
  });

  it("leaves everything else to the HTTP hop: other methods, query strings, trailing slashes, escapes, ids the schema refuses, other routes", () => {
    for (const [method, url] of [
      ["GET", "/api/v1/claims"],
      ["PUT", "/api/v1/claims"],
      ["POST", "/api/v1/claims?x=1"],
      ["POST", "/api/v1/claims/"],
      ["POST", "/API/v1/claims"],
      ["POST", "/api/v1/payments/short/approve"],
      ["POST", `/api/v1/payments/${"x".repeat(65)}/approve`],
      ["POST", "/api/v1/payments/pay%2D0001x/approve"],
      ["POST", "/api/v1/payments/pay-0001/refund"],
      ["POST", "/api/v1/pairings"],
      ["POST", "//api/v1/claims"],
    ] as const) {
      expect(shopperCallOf(method, url), `${method} ${url}`).toBeUndefined();
    }
  });
});

describe("shopperBodyOf", () => {
  it("parses JSON with fastify's parser, under application/json with or without charset, in any case", () => {
    for (const type of ["application/json", "application/json; charset=utf-8", "Application/JSON;charset=UTF-8"]) {
      expect(shopperBodyOf(requestWith(type, Buffer.from('{"requestId":"r-000001","code":"0000000"}')), parseJson)).toEqual({ ok: true, body: { requestId: "r-000001", code: "0000000" } });
    }
  });

  it("answers fastify's own refusals as the shopper API's error handler does: its status, BAD_REQUEST, its message", () => {
    const refused = (raw: string) => shopperBodyOf(requestWith("application/json", Buffer.from(raw)), parseJson);
    for (const raw of ["{", "", '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{"x":1}}}']) {
      const outcome = refused(raw);
      expect(outcome?.ok, raw).toBe(false);
      if (outcome?.ok === false) {
        expect(outcome.reply.status).toBe(400);
        expect(outcome.reply.body).toMatchObject({ error: { code: "BAD_REQUEST", message: expect.stringMatching(/JSON|empty/i) } });
      }
    }
  });

  it("no content type and no bytes: no body; other media types, or bytes without a type: the HTTP hop", () => {
    expect(shopperBodyOf(requestWith(undefined, undefined), parseJson)).toEqual({ ok: true, body: undefined });
    expect(shopperBodyOf(requestWith(undefined, Buffer.from("{}")), parseJson)).toBeUndefined();
    expect(shopperBodyOf(requestWith("text/plain", Buffer.from("{}")), parseJson)).toBeUndefined();
    expect(shopperBodyOf(requestWith("application/json; charset=latin1", Buffer.from("{}")), parseJson)).toBeUndefined();
    expect(shopperBodyOf(requestWith("application/json-patch+json", Buffer.from("{}")), parseJson)).toBeUndefined();
    expect(shopperBodyOf(requestWith("application/json", undefined), parseJson)).toBeUndefined();
  });
});
