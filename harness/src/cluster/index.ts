/** @codepay/harness/cluster: throwaway PostgreSQL, mosquitto and server instances on loopback, and payments that survive a lost instance. */
export { startThrowawayPostgres, postgresBinDir, type ThrowawayPostgres, type ThrowawayPostgresOptions } from "./throwaway-postgres.js";
export { startMosquitto, type MosquittoProcess } from "./mosquitto-process.js";
export { startServerInstance, serverBin, type ServerInstance, type ServerInstanceOptions } from "./server-instance.js";
export { payWithFailover, type FailoverPhone } from "./failover-payment.js";
export { freeLoopbackPort, freeLoopbackPorts, waitForLoopbackPort } from "./loopback-port.js";
export { startNatsCluster, type NatsCluster, type NatsNode, type NatsClusterOptions } from "./nats-cluster.js";
export { startClusterDeployment, type ClusterDeployment, type ClusterCertificate } from "./cluster-deployment.js";
