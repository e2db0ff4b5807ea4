/**
 * One TLS policy for every listener the server runs (MQTT over TLS, the shopper API and the carrier
 * gateway on HTTPS): TLS 1.3, and on TLS 1.2 only ECDHE key exchange with an AEAD cipher (AES-GCM or
 * ChaCha20-Poly1305). The CBC-SHA1 suites OpenSSL offers by default on 1.2 (ECDHE-ECDSA-AES256-SHA, ...)
 * are gone: they rest on MAC-then-encrypt and SHA-1 (Mozilla's "intermediate" profile drops them too).
 */
const TLS13_SUITES = ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"];
const TLS12_AEAD_SUITES = [
  "ECDHE-ECDSA-AES128-GCM-SHA256",
  "ECDHE-RSA-AES128-GCM-SHA256",
  "ECDHE-ECDSA-AES256-GCM-SHA384",
  "ECDHE-RSA-AES256-GCM-SHA384",
  "ECDHE-ECDSA-CHACHA20-POLY1305",
  "ECDHE-RSA-CHACHA20-POLY1305",
];

export const TLS_SERVER_POLICY = {
  minVersion: "TLSv1.2",
  ciphers: [...TLS13_SUITES, ...TLS12_AEAD_SUITES].join(":"),
  honorCipherOrder: true,
} as const;

/** The same list in OpenSSL's syntax for mosquitto's `ciphers` option (TLS 1.2; its 1.3 suites are already AEAD). */
export const TLS12_CIPHER_LIST = TLS12_AEAD_SUITES.join(":");
