/**
 * The agent's config file (contracts.md, "terminal-agent"). Validated with zod; every error names the
 * field, e.g. `devices.printer.baudRate: expected number`.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { CURRENCY_CODES, ID_SLUG_PATTERN } from "@codepay/contract";
import type { CurrencyCode } from "@codepay/contract";
import { AgentError } from "./core/errors.js";
import { JAPANESE_ENCODINGS } from "./protocols/escpos/japanese-text.js";
import { DISPLAY_MODELS } from "./protocols/pole-display/command-sets.js";

const devicePath = z
  .string()
  .min(1)
  .refine((value) => value.startsWith("/") || /^tcp:\/\/[^/:]+:\d{1,5}\/?$/i.test(value) || /^COM\d+$/i.test(value), "expected a device path (/dev/...) or tcp://host:port");
const baudRate = z.number().int().positive();

const DisplaySchema = z.strictObject({
  path: devicePath,
  baudRate: baudRate.default(9600),
  model: z.enum(DISPLAY_MODELS).default("epson"),
  /** 1 (dim) .. 4 (full). */
  brightness: z.union([z.literal(1), z.literal(2), z.literal(3), z.literal(4)]).default(4),
  columns: z.number().int().min(8).max(40).default(20),
  rows: z.number().int().min(1).max(4).default(2),
  /** The euro sign's byte when a unit's code page differs from the model's default (0xD5 Epson PC858, 0xEE CD5220, 0x80 Logic Controls). */
  euroByte: z.number().int().min(0x80).max(0xff).optional(),
});
const PrinterSchema = z.strictObject({
  path: devicePath,
  baudRate: baudRate.default(19200),
  model: z.literal("epson").default("epson"),
  drawer: z.boolean().default(false),
  /** Read status back (ASB, DLE EOT, GS r) and count a receipt printed only when the printer says so. */
  statusBack: z.boolean().default(true),
  /**
   * How this model prints Japanese receipts (language "ja"): "katakana" (half-width, every printer) or
   * "shift_jis" (kanji: Japanese models with a kanji font, FS C 1 + FS & / FS .).
   */
  japanese: z.enum(JAPANESE_ENCODINGS).default("katakana"),
});
const CardReaderSchema = z.strictObject({
  path: devicePath,
  baudRate: baudRate.default(9600),
  /** Strings the reader is set to send before / after each swipe (STX/ETX and CR/LF are handled anyway). */
  prefix: z.string().max(16).optional(),
  suffix: z.string().max(16).optional(),
  /** The byte(s) ending the reader's lines: a swipe holding track 2 ends there at once (CR: MagTek and ID TECH default). */
  terminator: z.enum(["CR", "LF", "CRLF", "ETX"]).default("CR"),
  /** The reader sends a block check byte after ETX (XOR of the bytes after STX up to ETX): checked. */
  lrc: z.boolean().default(false),
  /** A swipe is complete when the line has been quiet this long (readers that send no terminator). */
  interByteTimeoutMs: z.number().int().min(10).max(2_000).default(100),
});

export const AgentConfigSchema = z.strictObject({
  server: z.strictObject({
    url: z.string().regex(/^(mqtts?|wss?|tcp):\/\/.+/, "expected an mqtt:// or mqtts:// url"),
    /**
     * More nodes of the same broker cluster (docs/deploy/broker-cluster.md), same scheme as `url`: when
     * the node in use is gone the link moves to the next one and resumes its session there.
     */
    failoverUrls: z.array(z.string().regex(/^(mqtts?|tcp):\/\/[^/:]+(:\d{1,5})?\/?$/, "expected mqtt://host:port or mqtts://host:port")).max(16).optional(),
    /** PEM files for mqtts:// (relative to the config file): the server's CA, and this register's certificate and key (`admin tls issue-register`). */
    tls: z
      .strictObject({ ca: z.string().min(1).optional(), cert: z.string().min(1).optional(), key: z.string().min(1).optional() })
      .refine((tls) => (tls.cert === undefined) === (tls.key === undefined), "cert and key go together")
      .optional(),
    /**
     * "certificate": the register proves who it is with its client certificate alone and sends no user
     * name or password in CONNECT (a nats-server cluster maps the certificate to the user and refuses a
     * password it does not hold: docs/deploy/broker-cluster.md). Default "password".
     */
    authentication: z.enum(["password", "certificate"]).default("password"),
  })
    .refine((server) => server.authentication === "password" || (server.tls?.cert !== undefined && /^mqtts:\/\//.test(server.url)), { message: "certificate authentication needs an mqtts:// url and server.tls.cert/key", path: ["authentication"] })
    .refine((server) => (server.failoverUrls ?? []).every((url) => url.split("://")[0] === server.url.split("://")[0]), { message: "every failover url uses the scheme of server.url (one TLS setting for all nodes)", path: ["failoverUrls"] }),
  register: z.strictObject({
    storeId: z.string().regex(ID_SLUG_PATTERN, "expected a slug (a-z 0-9 -)"),
    registerId: z.string().regex(ID_SLUG_PATTERN, "expected a slug (a-z 0-9 -)"),
    password: z.string().min(1),
  }),
  currency: z.enum(CURRENCY_CODES as [CurrencyCode, ...CurrencyCode[]]),
  /** Shopper-facing text on the display and receipts: en, or ja (Katakana on the display; receipts as `devices.printer.japanese`). */
  language: z.enum(["en", "ja"]).default("en"),
  storeName: z.string().min(1).max(40),
  /** The register's name as the shopper's phone shows it ("Register 1"); receipts print it, else the register id. */
  registerName: z.string().min(1).max(40).optional(),
  /**
   * The deployment's card key (hex, from pairing or the operator): a swipe is sent as
   * HMAC-SHA256(cardKey, PAN), never the PAN. Without it, swipes are refused (CARD_KEY_MISSING).
   */
  cardKey: z.string().regex(/^(?:[0-9a-fA-F]{2}){16,64}$/, "expected 32-128 hex digits").optional(),
  journalPath: z.string().min(1),
  /** Receipt options. `greetByName`: card receipts greet the cardholder by the name on track 1 (never logged or journaled). */
  receipt: z.strictObject({ greetByName: z.boolean().default(false) }).default({ greetByName: false }),
  cashierApi: z
    .strictObject({ host: z.string().default("127.0.0.1"), port: z.number().int().min(0).max(65535).default(7070) })
    .default({ host: "127.0.0.1", port: 7070 }),
  devices: z
    .strictObject({ display: DisplaySchema.optional(), printer: PrinterSchema.optional(), cardReader: CardReaderSchema.optional() })
    .default({}),
});

export type AgentConfig = z.infer<typeof AgentConfigSchema>;
export type AgentConfigInput = z.input<typeof AgentConfigSchema>;

/** Validates a parsed JSON value; throws AgentError CONFIG_INVALID naming the first bad field. */
export function parseConfig(value: unknown): AgentConfig {
  const result = AgentConfigSchema.safeParse(value);
  if (result.success) return result.data;
  throw new AgentError("CONFIG_INVALID", describeIssues(result.error.issues));
}

function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join(".") : "(config)"}: ${conciseMessage(issue)}`)
    .join("; ");
}

/** zod 4 says "Invalid input: expected number, received string"; keep the part that helps. */
function conciseMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === "invalid_type") return `expected ${issue.expected}`;
  if (issue.code === "unrecognized_keys") return `unknown field ${issue.keys.join(", ")}`;
  return issue.message;
}

/** Adds a warning when group or others may use `file`, which holds `what`. */
function warnIfShared(file: string, what: string, warnings: string[]): void {
  const mode = statSync(file).mode;
  if ((mode & 0o077) !== 0) warnings.push(`${file} is accessible to group or others (mode ${(mode & 0o777).toString(8)}); it holds ${what}: chmod 600`);
}

export interface LoadedConfig {
  readonly config: AgentConfig;
  /** Problems that do not stop the agent (a readable password file). */
  readonly warnings: readonly string[];
}

/**
 * Reads and validates the config file. `journalPath` is resolved against the config file's folder.
 * Warns when group or others can read the file: it holds the register password.
 */
export function loadConfig(file: string): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new AgentError("CONFIG_UNREADABLE", `${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new AgentError("CONFIG_UNREADABLE", `${file}: not JSON (${(error as Error).message})`);
  }
  const config = parseConfig(json);
  const warnings: string[] = [];
  warnIfShared(file, "the register password", warnings);
  const dir = path.dirname(file);
  let server = config.server;
  if (server.tls !== undefined) {
    const tls: { ca?: string; cert?: string; key?: string } = {};
    for (const field of ["ca", "cert", "key"] as const) {
      const value = server.tls[field];
      if (value === undefined) continue;
      const resolved = path.resolve(dir, value);
      if (!existsSync(resolved)) throw new AgentError("CONFIG_INVALID", `server.tls.${field}: file not found: ${resolved}`);
      tls[field] = resolved;
    }
    if (!/^(mqtts|wss):\/\//.test(server.url)) warnings.push(`server.tls is set but server.url ${server.url} is not mqtts://; the TLS files are not used`);
    server = { ...server, tls };
  }
  const journalPath = path.resolve(dir, config.journalPath);
  for (const file of [journalPath, `${journalPath}-wal`]) if (existsSync(file)) warnIfShared(file, "the register's payments", warnings);
  return { config: { ...config, server, journalPath }, warnings };
}
