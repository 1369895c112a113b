import { runLab } from './lab/lab';
import { USAGE, parseLabOptions } from './lab/options';
import { EXIT_CODES } from './lab/report';
import { setEchoCommands } from './lab/sh';
import { runCleanup } from './lab/state';

/**
 * `npm run lab`: the fault lab. Every storage node and router runs as its own host (a network
 * namespace on one bridge); processes are killed, paused and zones cut off while a small load runs,
 * and every acknowledged write is checked at the end. See docs/fault-lab.md.
 */
async function main(): Promise<number> {
  // The SDK's own switch for its "future releases will need Node 22" notice, which says nothing about the lab.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  let options;
  try {
    options = parseLabOptions(process.argv.slice(2));
  } catch (error) {
    console.error(`lab: ${(error as Error).message}\n\n${USAGE}`);
    return EXIT_CODES.ERROR;
  }
  if (options.help) {
    console.log(USAGE);
    return 0;
  }
  setEchoCommands(options.verbose);
  if (options.cleanup) return runCleanup();
  return runLab(options);
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`lab: ${(error as Error).message ?? error}`);
    process.exit(EXIT_CODES.ERROR);
  },
);
