/**
 * The files `admin broker files` writes for an external mosquitto: the `$7$` password lines check
 * against what Debian's mosquitto_passwd makes, and the ACL confines each register to its own topics.
 */
import { TLS12_CIPHER_LIST } from "../../src/tls-policy.js";
import { describe, expect, test } from "vitest";
import { mosquittoPasswordHash, verifyMosquittoPassword } from "../../src/auth/mosquitto-password.js";
import { renderAclFile, renderBrokerConfig, renderPasswordFile, serviceUsername } from "../../src/broker/mosquitto-files.js";

// A line `mosquitto_passwd -b passwd alice secret` (mosquitto 2.0.11) wrote.
const MOSQUITTO_PASSWD_LINE = "alice:$7$101$wn5JyvGSymOV8T2I$qnaaEgAK8yQb6HZ7VJoIdDLaUM1Vpevp7xY7wmaWH/nEWi/YBXmCEGXIXd0cXMpgzLxm0z4wGIff7nfLCeNwGw==";

describe("mosquitto password lines", () => {
  test("a line mosquitto_passwd wrote verifies with its password and not with another", async () => {
    const hash = MOSQUITTO_PASSWD_LINE.slice("alice:".length);
    expect(await verifyMosquittoPassword("secret", hash)).toBe(true);
    expect(await verifyMosquittoPassword("secreT", hash)).toBe(false);
  });

  test("ours has mosquitto's shape (12-byte salt, 64-byte PBKDF2-SHA512) and verifies", async () => {
    const hash = await mosquittoPasswordHash("register-password", Buffer.alloc(12, 7));
    expect(hash).toMatch(/^\$7\$101\$[A-Za-z0-9+/=]{16}\$[A-Za-z0-9+/=]{88}$/);
    expect(await verifyMosquittoPassword("register-password", hash)).toBe(true);
    expect(await verifyMosquittoPassword("other", hash)).toBe(false);
  });

  test.each(["", "$6$abc$def", "$7$0$AAAA$BBBB", "$7$101$AAAA$short", "scrypt$1$2$3$4$5"])("an unreadable stored hash %j is refused, not thrown", async (stored) => {
    expect(await verifyMosquittoPassword("anything", stored)).toBe(false);
  });
  // That the real mosquitto accepts our lines is proven end to end: test/scale/multi-instance.test.ts logs registers in with them.
});

describe("ACL and config", () => {
  const registers = [
    { registerId: "reg-a", storeId: "store-1", brokerPasswordHash: "$7$101$x$y" },
    { registerId: "reg-b", storeId: "store-2", brokerPasswordHash: "$7$101$x$z" },
  ];
  const services = [{ username: serviceUsername(1), brokerPasswordHash: "$7$101$s$t" }];

  test("each register gets exactly its own up, status (write) and down (read), spelled out", () => {
    const acl = renderAclFile(registers, services);
    const block = acl.split("\n\n").find((b) => b.includes("user reg-a"))!;
    expect(block.split("\n").filter((line) => line.startsWith("topic"))).toEqual([
      "topic write codepay/v1/store-1/reg-a/up",
      "topic write codepay/v1/store-1/reg-a/status",
      "topic read codepay/v1/store-1/reg-a/down",
    ]);
    expect(acl).not.toMatch(/^pattern/m);
    expect(block).not.toContain("store-2");
  });

  test("a service account reads every register's up and status and writes every down", () => {
    const block = renderAclFile(registers, services).split("\n\n").find((b) => b.includes("user codepay-server-1"))!;
    expect(block.split("\n").filter((line) => line.startsWith("topic"))).toEqual([
      "topic read codepay/v1/+/+/up",
      "topic read codepay/v1/+/+/status",
      "topic write codepay/v1/+/+/down",
    ]);
  });

  test("password file: services first, one line per account", () => {
    expect(renderPasswordFile(registers, services)).toBe("codepay-server-1:$7$101$s$t\nreg-a:$7$101$x$y\nreg-b:$7$101$x$z\n");
  });

  test("config: no anonymous clients, client id forced to the user name, the generated files", () => {
    const conf = renderBrokerConfig({ passwordFile: "/etc/codepay/passwd", aclFile: "/etc/codepay/acl" }, { port: 1883, host: "0.0.0.0" });
    expect(conf).toContain("allow_anonymous false");
    expect(conf).toContain("password_file /etc/codepay/passwd");
    expect(conf).toContain("acl_file /etc/codepay/acl");
    expect(conf).toMatch(/listener 1883 0\.0\.0\.0\nuse_username_as_clientid true/);
  });

  test("config with --tls-port: the registers' listener requires a certificate and takes the user name from its CN", () => {
    const conf = renderBrokerConfig(
      { passwordFile: "/p", aclFile: "/a" },
      { port: 1884, host: "10.0.0.5" },
      { port: 8883, host: "0.0.0.0", caFile: "/tls/ca.crt", certFile: "/tls/server.crt", keyFile: "/tls/server.key" },
    );
    const tlsBlock = conf.slice(conf.indexOf("listener 8883 0.0.0.0"));
    expect(tlsBlock.split("\n").filter((line) => line !== "")).toEqual([
      "listener 8883 0.0.0.0",
      "cafile /tls/ca.crt",
      "certfile /tls/server.crt",
      "keyfile /tls/server.key",
      "require_certificate true",
      "use_identity_as_username true",
      "use_username_as_clientid true",
      "tls_version tlsv1.2",
      "# TLS 1.2 with ECDHE and AEAD ciphers only (tls-policy.ts); TLS 1.3's suites are all AEAD.",
      `ciphers ${TLS12_CIPHER_LIST}`,
    ]);
    expect(conf).toMatch(/listener 1884 10\.0\.0\.5\nuse_username_as_clientid true/);
  });
});
