import { spawnSync } from 'node:child_process';

export interface CommandResult {
  ok: boolean;
  stdout: string;
  stderr: string;
}

/** When set, every command the lab runs is printed (`--verbose`), so the exact fault commands can be seen. */
let echoCommands = false;
export function setEchoCommands(on: boolean): void {
  echoCommands = on;
}

/**
 * Runs a command synchronously and returns its output. Throws with the command line and stderr when
 * it fails, unless `allowFail` is set. Synchronous on purpose: setup and teardown must also work from
 * an `exit` handler, where nothing asynchronous runs.
 */
export function run(command: string, args: string[], options: { allowFail?: boolean; input?: string } = {}): CommandResult {
  if (echoCommands) console.log(`  $ ${command} ${args.join(' ')}${options.input ? ` <<< ${JSON.stringify(options.input.trim())}` : ''}`);
  const result = spawnSync(command, args, { encoding: 'utf8', input: options.input, timeout: 30_000 });
  const ok = result.status === 0 && !result.error;
  const stdout = result.stdout ?? '';
  const stderr = (result.stderr ?? '') + (result.error ? String(result.error) : '');
  if (!ok && !options.allowFail) {
    throw new Error(`\`${command} ${args.join(' ')}\` failed: ${stderr.trim() || `exit ${result.status}`}`);
  }
  return { ok, stdout, stderr };
}

/** Blocks the thread for `ms` (for the exit-time cleanup, where timers no longer fire). */
export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
