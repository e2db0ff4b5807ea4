/** Entry of the `codepay-server` binary (bin/codepay-server.js imports the built copy of this file). */
import { runCli } from "./cli-main.js";
import type { RunningServer } from "./server.js";

function handleSignals(server: RunningServer): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      process.stderr.write(`codepay-server: ${signal} again, exiting now\n`);
      process.exit(1);
    }
    stopping = true;
    server.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`codepay-server: shutdown failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

const exitCode = await runCli(process.argv.slice(2), {
  stdout: (line) => process.stdout.write(`${line}\n`),
  stderr: (line) => process.stderr.write(`${line}\n`),
  env: process.env,
  onServing: handleSignals,
});
// serve keeps running until a signal; every other command is done.
if (process.argv[2] !== "serve" || exitCode !== 0) process.exitCode = exitCode;
