import { spawn, type ChildProcess } from 'node:child_process';
import readline from 'node:readline';

/**
 * A hostile client in a process of its own (one process cannot hold 25,000 sockets under a
 * 20,000-descriptor limit): it opens `silent` connections that never send a byte and `slow`
 * connections that send a request head announcing a large body, then one byte of it every
 * `slowByteIntervalMs`. Every connection the server closes is opened again after
 * `reconnectDelayMs`, so the pressure stays on. It connects to `host`,
 * another 127/8 address of a server listening on all of them: the kernel keeps ephemeral ports
 * unique per destination, so the flood's 12,500 ports do not crowd out the rest of the machine's
 * (binding a local address instead makes each connect search all bound ports: far too slow).
 *
 * Reports on stdout every 500 ms: {"started" (connects begun), "open", "opened", "closedByServer", "errors"}.
 */
const FLOOD_SCRIPT = String.raw`
const net = require('node:net');
const [port, silent, slow, host, reconnectDelayMs, slowByteIntervalMs] = JSON.parse(process.argv[1]);
let open = 0, opened = 0, closedByServer = 0, errors = 0, started = 0;
const sockets = new Set();
function connect(kind) {
  started++;
  const socket = net.connect({ port, host });
  let timer, connected = false;
  sockets.add(socket);
  socket.on('connect', () => {
    connected = true; open++; opened++;
    if (kind === 'slow') {
      socket.write('POST / HTTP/1.1\r\nHost: triad\r\nContent-Type: application/x-amz-json-1.0\r\nX-Amz-Target: DynamoDB_20120810.PutItem\r\nContent-Length: 10000000\r\n\r\n{');
      timer = setInterval(() => socket.write(' '), slowByteIntervalMs);
    }
  });
  socket.on('error', () => { errors++; });
  socket.on('close', () => {
    clearInterval(timer);
    sockets.delete(socket);
    if (connected) { open--; closedByServer++; }
    setTimeout(() => connect(kind), reconnectDelayMs);
  });
}
let i = 0;
const total = silent + slow;
(function ramp() {
  for (let n = 0; n < 250 && i < total; n++, i++) connect(i < slow ? 'slow' : 'silent');
  if (i < total) setTimeout(ramp, 20);
})();
setInterval(() => process.stdout.write(JSON.stringify({ started, open, opened, closedByServer, errors }) + '\n'), 500);
`;

export interface FloodReport {
  started: number;
  open: number;
  opened: number;
  closedByServer: number;
  errors: number;
}

export class ConnectionFlood {
  private readonly child: ChildProcess;
  last: FloodReport = { started: 0, open: 0, opened: 0, closedByServer: 0, errors: 0 };
  /** The most connections this flood held open at once. */
  peakOpen = 0;

  constructor(port: number, options: { silent: number; slow: number; host: string; reconnectDelayMs?: number; slowByteIntervalMs?: number }) {
    const args = [port, options.silent, options.slow, options.host, options.reconnectDelayMs ?? 200, options.slowByteIntervalMs ?? 1_000];
    this.child = spawn(process.execPath, ['-e', FLOOD_SCRIPT, JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'inherit'] });
    readline.createInterface({ input: this.child.stdout! }).on('line', (line) => {
      try {
        this.last = JSON.parse(line) as FloodReport;
        this.peakOpen = Math.max(this.peakOpen, this.last.open);
      } catch {
        // not a report
      }
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGKILL');
    await exited;
  }
}
