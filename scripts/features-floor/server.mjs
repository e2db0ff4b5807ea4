// An EXPERIMENT, not Code Pay: the lean floor's design (../shared/floor: embedded aedes + fastify + better-sqlite3,
// one transaction per event-loop turn, one fdatasync per group, replies after it) carrying Code Pay's features, so
// that what the features cost can be told apart from what Code Pay's own pipeline costs (docs/performance.md,
// "What stands between"). Same protocol as ../shared/floor/lean_client.mjs, which drives it.
//
// Always: Code Pay's schema, made by its migrations (`admin demo-seed`): the payments row with its 8 indexes,
// foreign keys, checks and triggers, and Code Pay's own statements for create, claim, approve, ack, transfer and
// outbox. FEAT (comma list) adds:
//   I  idempotency: sha256 of each create/claim/approve request and its stored reply, one multi-row INSERT per batch
//   A  audit chain: a canonical entry and a chained sha256 per transfer, one multi-row INSERT and a head move per batch
//   V  validation: each register message through @codepay/contract's parseMessage (JSON, duplicate keys, zod),
//      each phone body through the contract's schema
//   H  HTTP: the security-headers hook, the phone's bearer credential hashed (sha256) and looked up per request
//   M  metrics: a prom-client histogram and counter per request
// WAIT=1: Code Pay's batching policy (a batch waits for the WAL sync in flight; default in run.sh).
// Usage: node server.mjs MQTT_PORT HTTP_PORT SEEDED_SQLITE_FILE
import { createServer } from 'node:net';
import { fdatasync, openSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { Aedes } from 'aedes';
import Fastify from 'fastify';
import Database from 'better-sqlite3';
import prom from 'prom-client';
import * as contract from '@codepay/contract';

const features = new Set((process.env.FEAT ?? '').split(',').filter(Boolean));
const waitForSync = process.env.WAIT === '1';
const [mqttPort, httpPort] = process.argv.slice(2, 4).map(Number);
const file = process.argv[4];
const db = new Database(file);
db.pragma('journal_mode = WAL'); db.pragma('synchronous = NORMAL'); db.pragma('foreign_keys = ON'); db.pragma('wal_autocheckpoint = 10000');
const sha256 = (text) => createHash('sha256').update(text, 'utf8').digest('hex');
const newId = contract.newTimeOrderedId;

// ---- seed: 64 registers, users, phones and accounts beside the demo store ----
const REGISTERS = 64;
const store = db.prepare('select * from stores').get();
const storeAccount = db.prepare("select id from accounts where kind = 'store'").get().id;
const shoppers = new Map();
db.transaction(() => {
  const passwordHash = db.prepare('select password_hash from registers').get().password_hash;
  const now = Date.now();
  for (let i = 0; i < REGISTERS; i++) {
    db.prepare('insert into registers (id, store_id, name, password_hash, disabled, created_at) values (?, ?, ?, ?, 0, ?)').run(`reg-${i}`, store.id, `Register ${i}`, passwordHash, now);
    db.prepare('insert into users (id, name, created_at) values (?, ?, ?)').run(`user-${i}`, `Shopper ${i}`, now);
    db.prepare("insert into phones (phone_id, user_id, carrier, credential_sha256, created_at) values (?, ?, 'demo-carrier', ?, ?)").run(`phone-${i}`, `user-${i}`, sha256(`phone-${i}`), now);
    const account = newId();
    db.prepare("insert into accounts (id, kind, owner_id, currency, balance_minor, created_at) values (?, 'user', ?, 'JPY', 1000000000000, ?)").run(account, `user-${i}`, now);
    shoppers.set(`phone-${i}`, { account, user: `user-${i}` });
  }
})();

// ---- Code Pay's statements (the SQL text its engine sends, sync-server/src/db/repositories) ----
const sql = {
  insert: db.prepare(`insert into "payments" ("payment_id", "register_payment_id", "store_id", "register_id", "amount_minor", "currency", "code", "open_code", "open_register", "state", "reason", "expires_at", "claimed_by_phone", "reference", "lines_json", "created_at", "updated_at") values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) on conflict do nothing returning "payment_id"`),
  claimable: db.prepare(`select "payments".*, (select "stores"."name" from "stores" where "stores"."id" = "payments"."store_id") as "store_name", (select "registers"."name" from "registers" where "registers"."id" = "payments"."register_id") as "register_name", "guess_limits"."failures" as "store_failures", "guess_limits"."window_started_at" as "store_window_started_at", "guess_limits"."blocked_until" as "store_blocked_until", "guess_limits"."rotations_failures" as "store_rotations_failures" from "payments" left join "guess_limits" on "guess_limits"."subject" = 'store:' || "payments"."store_id" where "payments"."open_code" = ?`),
  claim: db.prepare(`update "payments" set "state" = ?, "reason" = ?, "reference" = ?, "updated_at" = ?, "period_number" = ?, "claimed_at" = coalesce("claimed_at", ?), "claimed_by_phone" = ? where "payment_id" = ? and "state" = ? and "claimed_by_phone" is not distinct from ?`),
  toApprove: db.prepare(`select "payments".*, "shopper"."id" as "shopper_account_id", "shopper"."balance_minor" as "shopper_balance_minor", "store"."id" as "store_account_id", "store"."balance_minor" as "store_balance_minor" from "payments" left join "accounts" as "shopper" on "shopper"."kind" = 'user' and "shopper"."owner_id" = ? and "shopper"."currency" = "payments"."currency" left join "accounts" as "store" on "store"."kind" = 'store' and "store"."owner_id" = "payments"."store_id" and "store"."currency" = "payments"."currency" where "payments"."payment_id" = ?`),
  debit: db.prepare(`update "accounts" set "balance_minor" = "balance_minor" - ? where "id" = ? and "balance_minor" >= ?`),
  credit: db.prepare(`update "accounts" set "balance_minor" = "balance_minor" + ? where "id" = ?`),
  approve: db.prepare(`update "payments" set "state" = ?, "reason" = ?, "reference" = ?, "updated_at" = ?, "period_number" = ?, "claimed_at" = coalesce("claimed_at", ?), "open_code" = ?, "open_register" = ? where "payment_id" = ? and "state" = ? and "claimed_by_phone" is not distinct from ?`),
  ack: db.prepare(`update "outbox" set "acked_at" = ? where "result_id" = ? and "register_id" = ? and "payment_id" = (select "payments"."payment_id" from "payments" where "payments"."register_id" = ? and "payments"."register_payment_id" = ?) and "acked_at" is null`),
  transfer: db.prepare(`insert into "transfers" ("id", "debit_account_id", "credit_account_id", "amount_minor", "currency", "kind", "payment_id", "reverses_transfer_id", "created_at") values (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
  outbox: db.prepare(`insert into "outbox" ("result_id", "store_id", "register_id", "payment_id", "message_json", "created_at", "sent_at") values (?, ?, ?, ?, ?, ?, ?)`),
  moveAuditHead: db.prepare('update "audit_head" set "seq" = ?, "hash" = ? where "id" = ? and "seq" = ?'),
};
const INSERT_IDEMPOTENCY = 'insert into "idempotency" ("scope", "request_id", "request_hash", "response_json", "created_at") values (?, ?, ?, ?, ?) on conflict ("scope", "request_id") do nothing';
const INSERT_AUDIT = 'insert into "audit_log" ("chain", "seq", "transfer_id", "entry_json", "prev_hash", "hash", "created_at") values (?, ?, ?, ?, ?, ?, ?)';
const multiRow = new Map();
function insertRows(single, rows) {
  for (let at = 0; at < rows.length; at += 64) {
    const part = rows.slice(at, at + 64);
    const key = `${part.length}\u0000${single}`;
    let statement = multiRow.get(key);
    if (statement === undefined) {
      const [, head, values, tail] = /^(insert into .+? values )(\((?:\?, )*\?\))(.*)$/s.exec(single);
      statement = db.prepare(head + Array.from({ length: part.length }, () => values).join(', ') + tail);
      multiRow.set(key, statement);
    }
    statement.run(part.flat());
  }
}

// ---- I and A: rows kept for the batch's end, as Code Pay's deferred writes ----
const idempotencyRows = [];
const auditRows = [];
let auditHead = db.prepare('select seq, hash from audit_head where id = 1').get();
function remember(scope, requestId, operation, request, reply, now) {
  if (features.has('I')) idempotencyRows.push([scope, requestId, sha256(JSON.stringify({ operation, request })), JSON.stringify(reply), now]);
}
function audit(transfer, now) {
  if (!features.has('A')) return;
  const seq = auditHead.seq + auditRows.length + 1;
  const entry = JSON.stringify([['seq', seq], ['id', transfer.id], ['debit', transfer.debit], ['credit', storeAccount], ['amountMinor', transfer.amountMinor], ['currency', 'JPY'], ['kind', 'payment'], ['paymentId', transfer.paymentId], ['reverses', null], ['createdAt', now]]);
  const previous = auditRows.length > 0 ? auditRows[auditRows.length - 1][5] : auditHead.hash;
  auditRows.push([1, seq, transfer.id, entry, previous, createHash('sha256').update(previous, 'utf8').update(entry, 'utf8').digest('hex'), now]);
}
function writeDeferred() {
  if (idempotencyRows.length > 0) insertRows(INSERT_IDEMPOTENCY, idempotencyRows.splice(0));
  if (auditRows.length > 0) {
    const rows = auditRows.splice(0);
    insertRows(INSERT_AUDIT, rows);
    const last = rows[rows.length - 1];
    sql.moveAuditHead.run(last[1], last[5], 1, auditHead.seq);
    auditHead = { seq: last[1], hash: last[5] };
  }
}

// ---- V and M ----
function registerMessage(payload) {
  if (!features.has('V')) return JSON.parse(payload.toString('utf8'));
  const parsed = contract.parseMessage(contract.RegisterRequestSchema, payload);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.value;
}
const checkBody = features.has('V') ? (schema, body) => { if (!schema.safeParse(body).success) throw new Error('invalid body'); } : () => {};
const registry = new prom.Registry();
const seconds = new prom.Histogram({ name: 'request_seconds', help: 'request latency', labelNames: ['operation', 'outcome'], buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1], registers: [registry] });
const requests = new prom.Counter({ name: 'requests_total', help: 'requests', labelNames: ['operation'], registers: [registry] });
const observed = Object.fromEntries(['create', 'claim', 'approve', 'ack'].map((operation) => [operation, seconds.labels(operation, 'ok')]));
const measure = features.has('M') ? (operation, startedAt) => { observed[operation].observe((performance.now() - startedAt) / 1000); requests.inc({ operation }); } : () => {};

// ---- one transaction per turn, one fdatasync per group, callbacks after it ----
const walFd = openSync(`${file}-wal`, 'r+');
const begin = db.prepare('begin immediate');
const commit = db.prepare('commit');
let queue = [];
let waiting = [];
let scheduled = false;
let syncing = false;
function flush() {
  scheduled = false;
  const ops = queue;
  queue = [];
  begin.run();
  for (const op of ops) op.result = op.work();
  writeDeferred();
  commit.run();
  waiting.push(...ops);
  if (!syncing) sync();
}
function sync() {
  syncing = true;
  const done = waiting;
  waiting = [];
  fdatasync(walFd, (error) => {
    if (error) throw error;
    for (const op of done) op.then(op.result);
    syncing = false;
    if (waiting.length > 0) sync();
    else if (waitForSync && queue.length > 0 && !scheduled) { scheduled = true; setImmediate(flush); }
  });
}
function enqueue(work, then) {
  queue.push({ work, then, result: undefined });
  if (!scheduled && !(waitForSync && syncing)) { scheduled = true; setImmediate(flush); }
}

// ---- the protocol ----
const openCodes = new Set();
function newCode() {
  for (;;) {
    const code = String(100000 + Math.floor(Math.random() * 900000));
    if (!openCodes.has(code)) { openCodes.add(code); return code; }
  }
}
const paymentIds = new Map(); // the register's payment id -> the server's
const resultKeys = new Map(); // result id -> [register, register's payment id]
const aedes = await Aedes.createBroker();
const push = (register, message) => aedes.publish({ cmd: 'publish', topic: `down/${register}`, payload: Buffer.from(JSON.stringify(message)), qos: 1, retain: false, dup: false }, () => {});
aedes.subscribe('up/+', (packet, done) => {
  const startedAt = performance.now();
  const register = packet.topic.slice(3);
  const message = registerMessage(packet.payload);
  if (message.type === 'payment.create') {
    const code = newCode();
    const now = Date.now();
    const paymentId = newId();
    paymentIds.set(message.paymentId, paymentId);
    enqueue(() => {
      sql.insert.all(paymentId, message.paymentId, store.id, register, message.amount.minor, 'JPY', code, code, register, 'pending', null, now + 120000, null, null, null, now, now);
      const reply = { v: 1, type: 'payment.issued', inReplyTo: message.requestId, paymentId: message.paymentId, code, expiresAt: now + 120000 };
      remember(`register:${register}`, message.requestId, 'payment.create', message, reply, now);
      return reply;
    }, (reply) => { push(register, reply); measure('create', startedAt); });
  } else if (message.type === 'result.ack') {
    const [ackRegister, registerPaymentId] = resultKeys.get(message.resultId) ?? [register, message.paymentId];
    resultKeys.delete(message.resultId);
    enqueue(() => sql.ack.run(Date.now(), message.resultId, ackRegister, ackRegister, registerPaymentId), () => measure('ack', startedAt));
  }
  done();
}, () => {});
createServer({ noDelay: true }, aedes.handle).listen(mqttPort, '127.0.0.1');

const app = Fastify({ logger: false });
// The four headers Code Pay's shopper API and gateway send on every response (sync-server/src/http-security/security-headers.ts), set the way its hook does.
const SECURITY_HEADERS = Object.entries({ 'content-security-policy': "default-src 'none'; frame-ancestors 'none'; base-uri 'none'", 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', 'x-frame-options': 'DENY' });
const ROUTE_MAY_SET = new Set(['content-security-policy', 'referrer-policy']);
if (features.has('H')) app.addHook('onSend', async (_request, reply, payload) => { for (const [name, value] of SECURITY_HEADERS) if (!ROUTE_MAY_SET.has(name) || !reply.hasHeader(name)) reply.header(name, value); return payload; });
const phonesByCredential = new Map([...shoppers.keys()].map((phone) => [sha256(phone), phone]));
const phoneOf = (request) => { const credential = request.headers.authorization.slice(7); return features.has('H') ? phonesByCredential.get(sha256(credential)) : credential; };
app.post('/v1/claim', (request, reply) => {
  const startedAt = performance.now();
  const phone = phoneOf(request);
  const code = request.body.code;
  const requestId = newId(); // Code Pay's phones send one, time-ordered; the lean client sends none
  checkBody(contract.ClaimRequestSchema, { requestId, code });
  enqueue(() => {
    const now = Date.now();
    const [payment] = sql.claimable.all(code);
    let body = { error: 'not_found' };
    if (payment !== undefined && sql.claim.run('claimed', null, null, now, 1, now, phone, payment.payment_id, 'pending', null).changes === 1) {
      body = { paymentId: payment.register_payment_id, state: 'claimed', amount: { minor: payment.amount_minor, currency: payment.currency }, storeName: payment.store_name, registerName: payment.register_name };
    }
    remember(`phone:${phone}`, requestId, 'claim', { code }, body, now);
    return body;
  }, (body) => { reply.send(body); measure('claim', startedAt); });
});
app.post('/v1/payments/:id/approve', (request, reply) => {
  const startedAt = performance.now();
  const registerPaymentId = request.params.id;
  const phone = phoneOf(request);
  const requestId = newId();
  checkBody(contract.DecisionRequestSchema, { requestId });
  enqueue(() => {
    const now = Date.now();
    const shopper = shoppers.get(phone);
    const [payment] = sql.toApprove.all(shopper.user, paymentIds.get(registerPaymentId));
    if (payment === undefined || payment.state !== 'claimed' || payment.claimed_by_phone !== phone) return undefined;
    if (sql.debit.run(payment.amount_minor, payment.shopper_account_id, payment.amount_minor).changes !== 1) return undefined;
    sql.credit.run(payment.amount_minor, payment.store_account_id);
    sql.approve.run('approved', null, null, now, 1, now, null, null, payment.payment_id, 'claimed', phone);
    const transfer = { id: newId(), debit: payment.shopper_account_id, amountMinor: payment.amount_minor, paymentId: payment.payment_id };
    sql.transfer.run(transfer.id, transfer.debit, storeAccount, transfer.amountMinor, 'JPY', 'payment', transfer.paymentId, null, now);
    audit(transfer, now);
    const message = { v: 1, type: 'payment.state', resultId: newId(), paymentId: registerPaymentId, state: 'approved', amount: { minor: payment.amount_minor, currency: payment.currency }, updatedAt: now };
    sql.outbox.run(message.resultId, store.id, payment.register_id, payment.payment_id, JSON.stringify(message), now, now);
    resultKeys.set(message.resultId, [payment.register_id, registerPaymentId]);
    openCodes.delete(payment.open_code);
    const body = { paymentId: registerPaymentId, state: 'approved' };
    remember(`phone:${phone}`, requestId, 'approve', { paymentId: registerPaymentId }, body, now);
    return { register: payment.register_id, message, body };
  }, (done) => {
    if (done === undefined) return reply.send({ error: 'refused' });
    reply.send(done.body);
    push(done.register, done.message);
    measure('approve', startedAt);
  });
});
await app.listen({ port: httpPort, host: '127.0.0.1' });
setInterval(() => db.pragma('wal_checkpoint(PASSIVE)'), 1000).unref();
console.log('ready');
process.on('SIGTERM', () => process.exit(0));
