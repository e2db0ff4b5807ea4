// Drives a server of the lean floor's protocol (../shared/floor/lean_server.mjs, or server.mjs here) at a set rate
// instead of flat out: payment starts are spaced evenly over all registers (as `npm run bench -- --rate-per-s N`
// spaces them), so approve -> result latency can be read at a fraction of the server's peak. Each payment is the
// floor client's: create over MQTT QoS 1 -> code; claim and approve over HTTP keep-alive; the result pushed at QoS 1
// and acknowledged. Prints one JSON line (server and client CPU per payment, payments/s, approve -> result p50/p99).
// Usage: node rate_client.mjs MQTT_PORT HTTP_PORT SERVER_PID REGISTERS SECONDS RATE_PER_S
import mqtt from 'mqtt';
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';

const [mqttPort, httpPort, serverPid, registers, seconds, ratePerS] = process.argv.slice(2).map(Number);
if (![mqttPort, httpPort, serverPid, registers, seconds, ratePerS].every((n) => Number.isFinite(n) && n > 0)) {
  console.error('usage: node rate_client.mjs MQTT_PORT HTTP_PORT SERVER_PID REGISTERS SECONDS RATE_PER_S');
  process.exit(2);
}
const WARMUP_MS = 2000;
const ticksMs = (pid) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10; // utime + stime, USER_HZ = 100
};
const quantile = (values, q) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
};
const round = (x) => (x === null ? null : Number(x.toFixed(3)));

const agent = new http.Agent({ keepAlive: true, maxSockets: registers });
function post(path, body, phone) {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const request = http.request({ host: '127.0.0.1', port: httpPort, path, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data), authorization: `Bearer ${phone}` } }, (response) => {
      const chunks = [];
      response.on('data', (chunk) => chunks.push(chunk));
      response.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
    });
    request.on('error', reject);
    request.end(data);
  });
}

let nextStartAt = performance.now();
async function paced() {
  const at = nextStartAt;
  nextStartAt = Math.max(nextStartAt, performance.now()) + 1000 / ratePerS;
  const delay = at - performance.now();
  if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
}

const startedAt = performance.now();
const endsAt = startedAt + WARMUP_MS + seconds * 1000;
let window = undefined;
let completed = 0;
let failed = 0;
const approveToResult = [];
const ownCpuMs = () => { const used = process.cpuUsage(); return (used.user + used.system) / 1000; };
setTimeout(() => { window = { cpuMs: ticksMs(serverPid), ownCpuMs: ownCpuMs(), atMs: performance.now(), completed }; }, WARMUP_MS);

await Promise.all(Array.from({ length: registers }, async (_, index) => {
  const register = `reg-${index}`;
  const phone = `phone-${index}`;
  const waiting = new Map();
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, { clientId: register, clean: true, reconnectPeriod: 0, protocolVersion: 4 });
  client.stream.setNoDelay(true);
  await client.subscribeAsync(`down/${register}`, { qos: 1 });
  client.on('message', (_topic, payload) => {
    const message = JSON.parse(payload.toString('utf8'));
    if (message.resultId) client.publish(`up/${register}`, JSON.stringify({ v: 1, type: 'result.ack', requestId: randomUUID(), paymentId: message.paymentId, resultId: message.resultId }), { qos: 1 });
    const key = message.inReplyTo ?? message.paymentId;
    const resolve = waiting.get(key);
    if (resolve !== undefined) { waiting.delete(key); resolve(message); }
  });
  for (let n = 0; ; n++) {
    await paced();
    if (performance.now() >= endsAt) break;
    const paymentId = `p-${process.pid}-${index}-${n}`;
    const requestId = randomUUID();
    const issued = await new Promise((resolve) => {
      waiting.set(requestId, resolve);
      client.publish(`up/${register}`, JSON.stringify({ v: 1, type: 'payment.create', requestId, paymentId, amount: { minor: 1234, currency: 'JPY' } }), { qos: 1 });
    });
    const result = new Promise((resolve) => waiting.set(paymentId, resolve));
    const claimed = await post('/v1/claim', { code: issued.code }, phone);
    if (claimed.paymentId !== paymentId) { failed++; waiting.delete(paymentId); continue; }
    const approveAt = performance.now();
    const approved = await post(`/v1/payments/${paymentId}/approve`, {}, phone);
    if (approved.state !== 'approved') { failed++; waiting.delete(paymentId); continue; }
    await result;
    completed++;
    if (window !== undefined) approveToResult.push(performance.now() - approveAt);
  }
  await client.endAsync(true);
}));

const cpuMs = ticksMs(serverPid) - window.cpuMs;
const clientCpuMs = ownCpuMs() - window.ownCpuMs;
const payments = completed - window.completed;
const wallS = (performance.now() - window.atMs) / 1000;
console.log(JSON.stringify({
  op: 'payment_at_rate', registers, rate_target_per_s: ratePerS, payments, failed,
  payments_per_s: Number((payments / wallS).toFixed(1)),
  server_cpu_ms_per_payment: round(cpuMs / payments),
  client_cpu_ms_per_payment: round(clientCpuMs / payments),
  server_core_util: round(cpuMs / 1000 / wallS),
  approve_to_result_p50_ms: round(quantile(approveToResult, 0.5)),
  approve_to_result_p99_ms: round(quantile(approveToResult, 0.99)),
}));
agent.destroy();
process.exit(0);
