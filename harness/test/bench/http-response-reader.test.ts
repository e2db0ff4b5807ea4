import { describe, expect, it } from "vitest";
import { HttpResponseReader } from "../../src/bench/http-response-reader.js";

const response = (status: number, body: string, extra = ""): string =>
  `HTTP/1.1 ${status} X\r\ncontent-type: application/json; charset=utf-8\r\n${extra}content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

describe("HttpResponseReader", () => {
  it("reads a response split anywhere, byte by byte included", () => {
    const bytes = Buffer.from(response(200, '{"state":"承認"}'));
    const reader = new HttpResponseReader(1024);
    const seen = [];
    for (let index = 0; index < bytes.length; index += 1) seen.push(...reader.push(bytes.subarray(index, index + 1)));
    expect(seen).toEqual([{ status: 200, body: '{"state":"承認"}', keepAlive: true }]);
    expect(reader.pendingBytes).toBe(0);
  });

  it("reads two responses from one chunk and keeps the start of a third", () => {
    const reader = new HttpResponseReader(1024);
    const third = response(200, "{}");
    const seen = reader.push(Buffer.from(response(200, '{"a":1}') + response(409, '{"error":{}}', "connection: close\r\n") + third.slice(0, 10)));
    expect(seen).toEqual([
      { status: 200, body: '{"a":1}', keepAlive: true },
      { status: 409, body: '{"error":{}}', keepAlive: false },
    ]);
    expect(reader.push(Buffer.from(third.slice(10)))).toEqual([{ status: 200, body: "{}", keepAlive: true }]);
  });

  it("refuses what it does not read: chunked bodies, no Content-Length, no status line, a head past the bound", () => {
    expect(() => new HttpResponseReader(1024).push(Buffer.from("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n"))).toThrow(/Transfer-Encoding: chunked/);
    expect(() => new HttpResponseReader(1024).push(Buffer.from("HTTP/1.1 200 OK\r\n\r\n{}"))).toThrow(/without a valid Content-Length/);
    expect(() => new HttpResponseReader(1024).push(Buffer.from("SSH-2.0-OpenSSH\r\n\r\n"))).toThrow(/not an HTTP\/1.1 status line/);
    expect(() => new HttpResponseReader(16).push(Buffer.from("HTTP/1.1 200 OK\r\nx-long: aaaaaaaaaaaa"))).toThrow(/longer than 16 bytes/);
  });
});
