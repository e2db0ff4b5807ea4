/**
 * The shopper API's JSON body parser: fastify's own (prototype poisoning refused), and then a body
 * whose object names a key twice is refused like any other bad JSON (400 BAD_REQUEST): JSON.parse
 * keeps the last one silently, so two readers of one body could disagree (contract: duplicateJsonKey).
 * The carrier gateway's in-process hop parses with this same function, so both ways in agree.
 */
import type { FastifyRequest } from "fastify";
import { duplicateJsonKey } from "@codepay/contract";

export type JsonBodyParser = (request: FastifyRequest, body: string, done: (error: Error | null, value?: unknown) => void) => unknown;

export function refusingDuplicateKeys(parse: JsonBodyParser): JsonBodyParser {
  return (request, body, done) =>
    parse(request, body, (error, value) => {
      if (error !== null) return done(error);
      const duplicate = duplicateJsonKey(body);
      if (duplicate !== undefined) return done(Object.assign(new Error(`the key ${JSON.stringify(duplicate)} appears twice in one object`), { statusCode: 400 }));
      return done(null, value);
    });
}
