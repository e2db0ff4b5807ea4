/**
 * `admin tls ca` and `admin tls issue-register|issue-server`: a private CA and its certificates, made
 * with Debian's `openssl` binary (P-256 keys, mode 0600). A register certificate's CN is the register
 * id: with `serve --require-client-cert` the broker refuses a register whose CN differs.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ID_SLUG_PATTERN } from "@codepay/contract";
import { AdminError } from "./admin-error.js";

function openssl(args: string[]): void {
  const run = spawnSync("openssl", args, { encoding: "utf8", timeout: 30_000 });
  if (run.error !== undefined) throw new AdminError("INTERNAL", `openssl could not run (${run.error.message}); install the Debian package openssl`);
  if (run.status !== 0) throw new AdminError("INTERNAL", `openssl ${args[0] ?? ""} failed: ${run.stderr.trim().split("\n").slice(-2).join(" ")}`);
}

export interface TlsFiles {
  readonly cert: string;
  readonly key: string;
  readonly ca: string;
}

/** `admin tls ca --out DIR`: DIR/ca.crt and DIR/ca.key (0600). Refuses to overwrite an existing CA. */
export function createTlsCa(input: { out: string; days?: number }): { cert: string; key: string } {
  const cert = join(input.out, "ca.crt");
  const key = join(input.out, "ca.key");
  if (existsSync(key)) throw new AdminError("BAD_REQUEST", `${key} exists; refusing to replace a CA`);
  mkdirSync(input.out, { recursive: true });
  openssl([
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
    "-keyout", key, "-out", cert, "-days", String(input.days ?? 3650), "-subj", "/CN=Code Pay register CA",
  ]);
  chmodSync(key, 0o600);
  return { cert, key };
}

function issue(input: { ca: string; out: string; name: string; subject: string; extensions: string[]; days?: number }): TlsFiles {
  const caCert = join(input.ca, "ca.crt");
  const caKey = join(input.ca, "ca.key");
  if (!existsSync(caCert) || !existsSync(caKey)) throw new AdminError("NOT_FOUND", `no CA in ${input.ca} (expected ca.crt and ca.key; run admin tls ca)`);
  mkdirSync(input.out, { recursive: true });
  const key = join(input.out, `${input.name}.key`);
  const cert = join(input.out, `${input.name}.crt`);
  const csr = join(input.out, `${input.name}.csr`);
  const ext = join(input.out, `${input.name}.ext`);
  try {
    openssl(["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", csr, "-subj", input.subject]);
    chmodSync(key, 0o600);
    writeFileSync(ext, `${["basicConstraints=CA:FALSE", ...input.extensions].join("\n")}\n`);
    openssl(["x509", "-req", "-in", csr, "-CA", caCert, "-CAkey", caKey, "-CAcreateserial", "-out", cert, "-days", String(input.days ?? 825), "-extfile", ext]);
  } finally {
    rmSync(csr, { force: true });
    rmSync(ext, { force: true });
  }
  return { cert, key, ca: caCert };
}

/** `admin tls issue-register --ca DIR --register R --out DIR`: DIR/R.crt (CN=R, clientAuth) and DIR/R.key. */
export function issueRegisterCert(input: { ca: string; registerId: string; out: string; days?: number }): TlsFiles & { registerId: string } {
  if (!ID_SLUG_PATTERN.test(input.registerId)) throw new AdminError("BAD_REQUEST", "--register must be a register id (a-z 0-9 -)");
  const files = issue({ ca: input.ca, out: input.out, name: input.registerId, subject: `/CN=${input.registerId}`, extensions: ["keyUsage=critical,digitalSignature", "extendedKeyUsage=clientAuth"], ...(input.days !== undefined ? { days: input.days } : {}) });
  return { registerId: input.registerId, ...files };
}

/** `admin tls issue-server --ca DIR --host H --out DIR`: DIR/server.crt (SAN: H, localhost, 127.0.0.1) and DIR/server.key. */
export function issueServerCert(input: { ca: string; host: string; out: string; days?: number }): TlsFiles {
  if (!/^[A-Za-z0-9.:-]+$/.test(input.host)) throw new AdminError("BAD_REQUEST", "--host must be a host name or IP address");
  const isIp = /^[\d.]+$|:/.test(input.host);
  const san = [`${isIp ? "IP" : "DNS"}:${input.host}`, "DNS:localhost", "IP:127.0.0.1"];
  return issue({ ca: input.ca, out: input.out, name: "server", subject: `/CN=${input.host}`, extensions: [`subjectAltName=${[...new Set(san)].join(",")}`, "extendedKeyUsage=serverAuth"], ...(input.days !== undefined ? { days: input.days } : {}) });
}
