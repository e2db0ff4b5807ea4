/**
 * Errors raised before a route runs still answer in the project's error shape with the security
 * headers: fastify's own (a badly encoded URL, an over-long parameter) through `frameworkErrors`, and
 * Node's HTTP parser's (over-long URL or headers, a malformed request line) through
 * `clientErrorHandler`, where Node would otherwise write a bare `431` or `400` with no body.
 */
import type { Socket } from "node:net";
import type { FastifyReply, FastifyRequest } from "fastify";
import { errorBody } from "@codepay/contract";
import { securityHeaderValues } from "./security-headers.js";

/** Node's parser error codes and what the client is told. */
function statusForParserError(code: string | undefined): { status: number; reason: string; message: string } {
  if (code === "HPE_HEADER_OVERFLOW") return { status: 431, reason: "Request Header Fields Too Large", message: "the request line or headers are too long" };
  if (code === "ERR_HTTP_REQUEST_TIMEOUT" || code === "ERR_HTTP_HEADERS_TIMEOUT") return { status: 408, reason: "Request Timeout", message: "the request took too long to arrive" };
  return { status: 400, reason: "Bad Request", message: "the request is not valid HTTP" };
}

/** The raw response for a request Node could not parse: error shape, security headers, then close. */
export function parserErrorResponse(code: string | undefined, options: { readonly https: boolean }): string {
  const { status, reason, message } = statusForParserError(code);
  const body = JSON.stringify(errorBody("BAD_REQUEST", message));
  const headers = { ...securityHeaderValues(options), "content-type": "application/json; charset=utf-8", "content-length": String(Buffer.byteLength(body)), connection: "close" };
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}`);
  return `HTTP/1.1 ${status} ${reason}\r\n${lines.join("\r\n")}\r\n\r\n${body}`;
}

/** fastify options for every listener of the server (shopper API, carrier gateway, operator listener). */
export function frameworkErrorOptions(options: { readonly https: boolean }) {
  const headers = securityHeaderValues(options);
  return {
    // These replies skip the instance's onSend hooks, so the security headers are set here.
    frameworkErrors: (error: Error, _request: FastifyRequest, reply: FastifyReply) => {
      void reply.code(400).headers(headers).send(errorBody("BAD_REQUEST", error.message));
    },
    clientErrorHandler: (error: Error & { code?: string }, socket: Socket) => {
      // A reset or a socket already gone: nobody to answer.
      if (error.code === "ECONNRESET" || !socket.writable) {
        socket.destroy();
        return;
      }
      socket.end(parserErrorResponse(error.code, options));
    },
  };
}
