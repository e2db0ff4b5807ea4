/**
 * Register client certificates for `npm run bench:connections -- --tls`, made in-process: one
 * `openssl` run per certificate (`admin tls issue-register`) would take minutes of both cores for
 * 19,900 registers, so the bench signs them itself. The CA and the server certificate come from the
 * real admin commands (openssl); each register certificate is a minimal X.509 v3 certificate
 * (CN = register id, clientAuth, digitalSignature) signed by that CA with ECDSA P-256/SHA-256 over a
 * DER encoding built here, and checked with node's X509Certificate. All registers share one key pair
 * (the handshake costs the same; the CN is what the server checks against the client id).
 */
import { X509Certificate, createPrivateKey, generateKeyPairSync, randomBytes, sign, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";

function length(bytes: number): Buffer {
  if (bytes < 0x80) return Buffer.from([bytes]);
  const octets: number[] = [];
  for (let rest = bytes; rest > 0; rest = Math.floor(rest / 256)) octets.unshift(rest % 256);
  return Buffer.from([0x80 | octets.length, ...octets]);
}

function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), length(body.length), body]);
}

const sequence = (...content: Buffer[]): Buffer => tlv(0x30, ...content);
const set = (...content: Buffer[]): Buffer => tlv(0x31, ...content);
const octetString = (content: Buffer): Buffer => tlv(0x04, content);
const utf8 = (text: string): Buffer => tlv(0x0c, Buffer.from(text, "utf8"));
const explicit = (n: number, content: Buffer): Buffer => tlv(0xa0 + n, content);

function oid(dotted: string): Buffer {
  const [first = 0, second = 0, ...rest] = dotted.split(".").map(Number);
  const bytes = [first * 40 + second];
  for (const arc of rest) {
    const group: number[] = [arc & 0x7f];
    for (let value = arc >>> 7; value > 0; value >>>= 7) group.unshift((value & 0x7f) | 0x80);
    bytes.push(...group);
  }
  return tlv(0x06, Buffer.from(bytes));
}

function utcTime(date: Date): Buffer {
  const two = (n: number): string => String(n).padStart(2, "0");
  const text = `${two(date.getUTCFullYear() % 100)}${two(date.getUTCMonth() + 1)}${two(date.getUTCDate())}${two(date.getUTCHours())}${two(date.getUTCMinutes())}${two(date.getUTCSeconds())}Z`;
  return tlv(0x17, Buffer.from(text, "ascii"));
}

/** The TLV at `offset`: where its content starts and where it ends. */
function readTlv(der: Buffer, offset: number): { contentStart: number; end: number } {
  const first = der[offset + 1]!;
  if (first < 0x80) return { contentStart: offset + 2, end: offset + 2 + first };
  const count = first & 0x7f;
  let size = 0;
  for (let index = 0; index < count; index += 1) size = size * 256 + der[offset + 2 + index]!;
  return { contentStart: offset + 2 + count, end: offset + 2 + count + size };
}

/** The subject Name of a certificate, as its DER bytes (the issuer field of what it signs). */
function subjectNameDer(certificateDer: Buffer): Buffer {
  const tbs = readTlv(certificateDer, readTlv(certificateDer, 0).contentStart);
  let offset = tbs.contentStart;
  // version [0], serialNumber, signature, issuer, validity, then subject.
  const skip = certificateDer[offset] === 0xa0 ? 5 : 4;
  for (let field = 0; field < skip; field += 1) offset = readTlv(certificateDer, offset).end;
  return certificateDer.subarray(offset, readTlv(certificateDer, offset).end);
}

const ECDSA_WITH_SHA256 = sequence(oid("1.2.840.10045.4.3.2"));

export interface RegisterCertificateMaker {
  /** The shared private key of every register certificate, PEM. */
  readonly keyPem: string;
  /** A certificate for this register id (CN), PEM. */
  certificateFor(registerId: string): string;
}

/** Signs with the CA in `caDir` (ca.crt, ca.key as `admin tls ca` writes them). */
export function registerCertificateMaker(caDir: string): RegisterCertificateMaker {
  const caCert = new X509Certificate(readFileSync(join(caDir, "ca.crt")));
  const caKey: KeyObject = createPrivateKey(readFileSync(join(caDir, "ca.key")));
  const issuer = subjectNameDer(caCert.raw);
  const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const spki = publicKey.export({ type: "spki", format: "der" });
  const now = Date.now();
  const validity = sequence(utcTime(new Date(now - 3_600_000)), utcTime(new Date(now + 7 * 86_400_000)));
  const extensions = explicit(
    3,
    sequence(
      sequence(oid("2.5.29.19"), octetString(sequence())), // basicConstraints: not a CA
      sequence(oid("2.5.29.15"), tlv(0x01, Buffer.from([0xff])), octetString(tlv(0x03, Buffer.from([0x07, 0x80])))), // keyUsage (critical): digitalSignature
      sequence(oid("2.5.29.37"), octetString(sequence(oid("1.3.6.1.5.5.7.3.2")))), // extendedKeyUsage: clientAuth
    ),
  );
  let checked = false;
  return {
    keyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    certificateFor(registerId) {
      const serial = randomBytes(12);
      serial[0] = (serial[0]! & 0x3f) | 0x40; // a positive INTEGER with no leading zero byte (DER is minimal)
      const tbs = sequence(
        explicit(0, tlv(0x02, Buffer.from([2]))), // v3
        tlv(0x02, serial),
        ECDSA_WITH_SHA256,
        issuer,
        validity,
        sequence(set(sequence(oid("2.5.4.3"), utf8(registerId)))),
        spki,
        extensions,
      );
      const der = sequence(tbs, ECDSA_WITH_SHA256, tlv(0x03, Buffer.from([0]), sign("sha256", tbs, caKey)));
      if (!checked) {
        // Once per run: the encoding parses, names the register, and the CA's signature verifies.
        const parsed = new X509Certificate(der);
        if (!parsed.verify(caCert.publicKey) || !parsed.checkIssued(caCert) || !parsed.subject.includes(`CN=${registerId}`)) throw new Error("bench certificate does not verify against the CA");
        checked = true;
      }
      return `-----BEGIN CERTIFICATE-----\n${der.toString("base64").replace(/.{1,64}/g, "$&\n")}-----END CERTIFICATE-----\n`;
    },
  };
}
