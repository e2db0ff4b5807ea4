/** Every bound the server keeps, with its unit in the name (STYLE.md §4). */
export const limits = {
  /** How long a payment code stays open by default. */
  codeTtlMsDefault: 120_000,
  /** Codes drawn before giving up with CODE_ALLOCATION_FAILED. */
  allocationAttemptsMax: 20,
  /** How often the expiry sweep runs, on the wall clock. */
  expirySweepIntervalMs: 500,
  /** Unacknowledged pushed results are resent after this long. */
  resultResendIntervalMs: 5_000,
  /** Results resent per sweep, so a long offline register cannot stall the loop. */
  resultResendBatchMax: 100,
  /** Fleet health: presence updates are written together at most this often (fleet/presence-recorder.ts). */
  presenceFlushIntervalMs: 1_000,
  /** Registers whose presence is held between two writes, at most. */
  presencePendingMax: 100_000,
  /** Payments expired per sweep. */
  expiryBatchMax: 200,
  /** After a code closes, a claim of it names the final state (CODE_EXPIRED, ...) for this long. */
  closedCodeMemoryMs: 15 * 60_000,
  /** A carrier assertion is good for this long after it was issued. */
  assertionLifetimeMs: 60_000,
  /** Clock skew tolerated for an assertion issued "in the future". */
  assertionFutureSkewMs: 2_000,
  /** Nonces remembered to refuse replays; past this, new assertions are refused until old ones age out. */
  assertionNoncesMax: 100_000,
  /** Longest assertion header accepted, in bytes. */
  assertionHeaderBytesMax: 2_048,
  /** MQTT topics deeper than this are refused by the broker (aedes crashed on deep topics before 1.1.1). */
  mqttTopicLevelsMax: 8,
  /**
   * Largest MQTT packet a register may send once logged in: the payload limit below plus its topic
   * and packet id. A packet whose fixed header announces more is refused before it is read
   * (broker/packet-size-guard.ts; mosquitto's `max_packet_size`).
   */
  mqttPacketBytesMax: 64 * 1024 + 1024,
  /** Largest CONNECT packet, read before the client is authenticated (client id, user, password, will: a few hundred bytes). */
  mqttConnectPacketBytesMax: 4 * 1024,
  /** Largest MQTT request payload the server reads. */
  mqttPayloadBytesMax: 64 * 1024,
  /** Largest HTTP body the shopper API and gateway read. */
  httpBodyBytesMax: 16 * 1024,
  /** Pending requests per register before the line replies INTERNAL instead of queueing more. */
  registerQueueDepthMax: 1_000,
  /** Rows `admin payments` lists at most. */
  paymentsListMax: 1_000,
  /** Shutdown waits this long for in-flight work. */
  shutdownGraceMs: 5_000,
  /** SQLite waits this long for another process's write lock. */
  sqliteBusyTimeoutMs: 5_000,
  /** `serve` on SQLite: the background WAL checkpoint runs this often (db/wal-checkpointer.ts). */
  sqliteCheckpointIntervalMs: 1000,
  /** ... and SQLite's own in-COMMIT checkpoint stays as a backstop at this many WAL frames (4 KiB each). */
  sqliteCheckpointBackstopFrames: 10_000,
  /**
   * The SQLite WAL left on disk at most (bytes): `journal_size_limit` on the server's connection cuts
   * the file back to this when the WAL starts over, and the checkpoint worker runs a TRUNCATE
   * checkpoint when every frame is copied and the file is larger (a long reader let it grow).
   */
  sqliteWalBytesMax: 64 * 1024 * 1024,
  /** After background checkpoints failed (full disk), they start again on the first successful write at least this long after. */
  sqliteCheckpointRestartDelayMs: 1_000,
  /**
   * Requests the batched engine runs in one transaction at most (engine/batch-engine.ts). A batch
   * holds the one JavaScript thread while it runs: measured at 32 registers (load 14), the engine's
   * SQL and rules cost ~0.2 ms of CPU per request, so 128 requests hold the loop ~28 ms at most. At 32
   * registers and 32 phones a turn brings at most ~64 requests, so the bound does not split real
   * batches; it caps a burst (a reconnect storm, a backlog after a stall). docs/performance.md.
   */
  engineBatchRequestsMax: 128,
  /** Reads the engine keeps in memory (registers, stores, phones, guess counters...); past this it starts over. */
  engineCachedReadsMax: 100_000,
  /** Prepared SQLite statements cached by SQL text (the hot path uses a few dozen). */
  sqliteStatementsCachedMax: 500,
  /**
   * MQTT login admission (broker/login-admission.ts): logins checked per second while many registers
   * reconnect at once. One login costs about 0.2-0.4 ms of the server's CPU here (docs/performance.md
   * "Restart storm"), so this leaves most of a core to the payments of registers already connected.
   */
  mqttLoginsPerSecondMax: 2_000,
  /** ... how many may start at once after a quiet spell (each holds the event loop about 1-2 ms here: 20 keep a burst under about 40 ms). */
  mqttLoginBurstMax: 20,
  /** ... being checked at once (a not yet rehashed scrypt row holds one libuv thread for 50-600 ms). */
  mqttLoginsInFlightMax: 64,
  /** ... waiting; one more is refused with CONNACK 3 "server unavailable" (the agent backs off). */
  mqttLoginQueueMax: 16_000,
  /** ... a login waiting this long is refused with CONNACK 3 (the agent's connect timeout is 10 s). */
  mqttLoginQueueWaitMsMax: 8_000,
  /**
   * Old scrypt register rows checked at once (each holds one of libuv's 4 pool threads for 50-600 ms;
   * the SQLite WAL fdatasync of every payment needs that pool too). Only until each row is rehashed.
   */
  registerScryptChecksInFlightMax: 2,
  /** TCP accept queue of the MQTT listeners (Linux caps it at net.core.somaxconn, 4096 here). */
  mqttListenBacklog: 4_096,
  /**
   * How long a TLS session ticket of the MQTT listener may be resumed (its ticket_lifetime): 7 days, the
   * most TLS 1.3 allows (RFC 8446 §4.6.1). A register connected longer than that pays a full handshake
   * at the next restart; a shorter lifetime would make more of them pay it for no gain, since a resumed
   * session still needs the register's password and keeps forward secrecy (psk_dhe_ke).
   */
  mqttTlsSessionLifetimeS: 7 * 24 * 3600,
  /** PostgreSQL connections one server process (or admin command) opens at most. */
  postgresPoolConnectionsMax: 10,
  /** A request PostgreSQL aborted to break a deadlock runs again at most this many times (then INTERNAL). */
  postgresConflictRetriesMax: 3,
  /**
   * PostgreSQL gone (restart, failover, kill): requests are refused at once with SERVER_UNAVAILABLE
   * while the server probes it with `SELECT 1`, first after this long, then doubling
   * (db/database-availability.ts) ...
   */
  postgresReconnectDelayMsMin: 100,
  /** ... up to this long between probes, so work resumes at most this long after PostgreSQL answers again. */
  postgresReconnectDelayMsMax: 2_000,
  /** A new PostgreSQL connection that has not completed in this long fails (a half-dead host must not hold requests). */
  postgresConnectTimeoutMs: 5_000,
  /** Retry-After (seconds) sent with SERVER_UNAVAILABLE while the database is down, and with STORAGE_FULL. */
  databaseRetryAfterS: 2,
  /** How often `serve` on SQLite reads the free space of the data directory's filesystem (statfs). */
  storageCheckIntervalMs: 5_000,
  /** Below this many free bytes: a warning in the log, `storage: "low"` on /health (still 200) and in metrics. */
  storageFreeBytesWarnMin: 256 * 1024 * 1024,
  /** Audit chains the PostgreSQL batch runners of all instances claim at most, one per instance (chain 1 stays shared). */
  auditLanesMax: 256,
  /** A pairing code works this long after `admin register pair`. */
  pairingCodeTtlMs: 10 * 60_000,
  /** How often the server recounts enabled registers and open codes to size new codes (also on every register connect). */
  codeLengthRecountIntervalMs: 10_000,
  /** ... and after registers come online, at most this often (a reconnect storm would count back to back). */
  codeLengthOnlineRecountGapMs: 250,
  /** A blind guessing phone's chance per lockout window that code lengths are sized for (issue 6: 1 in 10,000). */
  guessSuccessPerWindowMax: 1 / 10_000,
  /** Pending payments of one store given fresh codes in one rotation. */
  codeRotationBatchMax: 100,
  /** A `--broker-reload-command` (e.g. `systemctl reload mosquitto`) is killed after this long. */
  brokerReloadCommandTimeoutMs: 15_000,
  /** Server instances (service accounts) the broker files name at most. */
  brokerServiceAccountsMax: 64,
  /**
   * nats-server cluster (issue 22): a QoS 1 result a register has not acknowledged is sent again
   * after this long (`mqtt.ack_wait`), also to the node it resumed its session on after losing one.
   */
  clusterMqttAckWaitMs: 10_000,
  /** Replicas of the cluster's MQTT streams (sessions, messages, retained): 3 survives the loss of any one node. */
  clusterStreamReplicas: 3,
  /**
   * How long an instance waits for the cluster to store a message for a register (JetStream's
   * acknowledgement, after the replicas have it) before the send counts as failed; the outbox sends it
   * again. A leader election after a lost node takes a few seconds, so well above that.
   */
  clusterDeliverTimeoutMs: 10_000,
  /** Registers an instance remembers in another account than the hash names (a map entry each; cleared when full). */
  clusterAccountMemoMax: 200_000,
  /** `admin verify` reads the ledger in keyset pages of this many rows (memory: one page, not the ledger). */
  ledgerVerifyPageRows: 1_000,
  /** Operator console (issue 20): a session ends after this long without a request ... */
  consoleSessionIdleMs: 30 * 60_000,
  /** ... and this long after sign-in, whatever happens. */
  consoleSessionMaxMs: 12 * 60 * 60_000,
  /** Wrong passwords in a row before an operator account is locked ... */
  consoleSignInFailuresMax: 5,
  /** ... for this long (counted on the account, so every instance refuses it). */
  consoleSignInLockMs: 15 * 60_000,
  /** Rows per page of the console's payment search. */
  consolePageRows: 25,
  /** The registers page reloads itself this often (health is batched once a second server-side). */
  consoleRefreshS: 5,
  /** Characters of a refund reason, at most. */
  consoleReasonCharsMax: 200,
} as const;
