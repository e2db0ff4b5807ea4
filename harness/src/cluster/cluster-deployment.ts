/**
 * The broker tier of a cluster deployment as docs/deploy/broker-cluster.md sets it up, on loopback:
 * a CA (`admin tls ca`), one certificate for the nodes, one per register and per server instance
 * (`admin tls issue-register`), the users and permissions from the register database (`admin broker
 * files --broker nats`), and N nats-server nodes running on them.
 */
import { join } from "node:path";
import { createTlsCa, issueRegisterCert, issueServerCert, writeClusterBrokerFiles } from "@codepay/sync-server";
import { startNatsCluster, type NatsCluster } from "./nats-cluster.js";

export interface ClusterCertificate {
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
}

export interface ClusterDeployment {
  readonly cluster: NatsCluster;
  readonly authorizationFile: string;
  /** Register accounts the registers are split over (every instance runs with --broker-cluster-accounts this). */
  readonly accounts: number;
  /** Server instance names (codepay-server-1..N), each with its certificate. */
  readonly services: readonly { readonly name: string; readonly certificate: ClusterCertificate }[];
  /** A certificate for this register (made on first ask). */
  registerCertificate(registerId: string): ClusterCertificate;
  /** Rewrites the authorization from the register database and reloads every node. */
  refreshAuthorization(): Promise<void>;
  stop(): Promise<void>;
}

export async function startClusterDeployment(options: { dataDir: string; dir: string; nodes: number; instances: number; accounts?: number }): Promise<ClusterDeployment> {
  const accounts = options.accounts ?? 1;
  const tlsDir = join(options.dir, "tls");
  createTlsCa({ out: tlsDir });
  const node = issueServerCert({ ca: tlsDir, host: "127.0.0.1", out: tlsDir });
  const certificate = (name: string): ClusterCertificate => {
    const files = issueRegisterCert({ ca: tlsDir, registerId: name, out: tlsDir });
    return { caFile: files.ca, certFile: files.cert, keyFile: files.key };
  };
  const brokerDir = join(options.dir, "broker");
  const written = await writeClusterBrokerFiles({ dataDir: options.dataDir, out: brokerDir, instances: options.instances, accounts });
  const cluster = await startNatsCluster({ dir: options.dir, nodes: options.nodes, authorizationFile: written.authorizationFile, caFile: node.ca, certFile: node.cert, keyFile: node.key });
  const issued = new Map<string, ClusterCertificate>();
  return {
    cluster,
    authorizationFile: written.authorizationFile,
    accounts,
    services: written.services.map((name) => ({ name, certificate: certificate(name) })),
    registerCertificate(registerId) {
      const known = issued.get(registerId);
      if (known !== undefined) return known;
      const made = certificate(registerId);
      issued.set(registerId, made);
      return made;
    },
    async refreshAuthorization() {
      await writeClusterBrokerFiles({ dataDir: options.dataDir, out: brokerDir, instances: options.instances, accounts });
      cluster.reload();
    },
    stop: () => cluster.stop(),
  };
}
