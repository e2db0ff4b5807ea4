/** codepay-sim: `devices` runs the simulated hardware, `scenario` drives end-to-end payments. */
import { devicesCommand } from "./cli/devices-command.js";
import { scenarioCommand } from "./cli/scenario-command.js";

const USAGE = `usage:
  codepay-sim devices [--transport pty|tcp] [--dir /tmp/codepay-sim] [--control-port 7080] [--baud-pacing] [--display-model epson|cd5220|logic-controls]
  codepay-sim devices --transport serial --display PORT [--printer PORT] [--card-reader PORT] [--display-baud 9600] [--printer-baud 19200] [--card-reader-baud 9600]
  codepay-sim scenario --payments N [--cashier-api URL] [--sim URL] [--gateway URL] [--credential C] [--demo ./data/demo.json] [--amount 1200]
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === "devices") return devicesCommand(rest);
  if (command === "scenario") return scenarioCommand(rest);
  process.stderr.write(USAGE);
  return command === undefined || command === "--help" || command === "help" ? 0 : 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`codepay-sim: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
