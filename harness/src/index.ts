/**
 * @codepay/harness: what drives the whole system. The only package that imports several of ours
 * (contract, sync-server, terminal-agent, hardware-sim); nothing imports it except tests.
 * The benches, the simulation, fuzz and fault suites also run as CLIs (root package.json scripts).
 */
export { runSimulation, type RunOptions, type RunResult } from "./simulation/run-simulation.js";
export { runFuzz, type FuzzOptions, type FuzzReport } from "./fuzz/run-fuzz.js";
export { runFaults, type FaultRunOptions, type FaultRunResult } from "./faults/run-faults.js";
export { SimRegister, type SimRegisterOptions } from "./register/sim-register.js";
export * from "./cluster/index.js";
