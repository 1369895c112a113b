import type { Load } from './load';
import type { LabNetwork } from './network';
import type { LabOptions } from './options';
import type { ClusterPlan, LabHost } from './plan';
import type { Supervisor } from './processes';

export type FaultKind = 'kill' | 'pause' | 'zone';

export interface FaultRecord {
  n: number;
  kind: FaultKind;
  target: string;
  startSeconds: number;
  /** When the fault was lifted (restart began, SIGCONT sent, network healed). */
  healSeconds?: number;
  /** When the cluster was whole again (the restarted node answered). */
  doneSeconds?: number;
  /** The phase label the load counted this fault's operations under. */
  phase: string;
  how: string;
  outcome: string;
}

/** Time a restarted node is allowed to take before the next step, when planning the schedule. */
const RESTART_ALLOWANCE_MS = 10_000;
/** Time to lift any other fault (SIGCONT, heal the network). */
const HEAL_ALLOWANCE_MS = 1_000;
/** Faults are not shortened below this when fitting them into a short run. */
const FAULT_SECONDS_MIN = 3;

export class AbortedError extends Error {
  constructor() {
    super('aborted');
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new AbortedError());
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new AbortedError());
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** A small seeded generator (xorshift32), so a `--seed` replays the same fault targets. */
export function seededRandom(seed: number): () => number {
  let state = (seed ^ 0x9e3779b9) >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 0x1_0000_0000;
  };
}

export interface FaultDeps {
  plan: ClusterPlan;
  options: LabOptions;
  supervisor: Supervisor;
  network: LabNetwork;
  load: Load;
  seconds: () => number;
  log: (line: string) => void;
  signal: AbortSignal;
}

const kindsOf = (scenario: LabOptions['scenario']): FaultKind[] => (scenario === 'all' ? ['kill', 'pause', 'zone'] : [scenario]);

/**
 * How long each fault lasts: --fault-seconds if given; otherwise the default (10 s), shortened
 * (to no less than 3 s) so that every kind of the scenario fits once into `windowMs`.
 */
export function faultSecondsFor(options: LabOptions, windowMs: number): number {
  if (options.faultSecondsExplicit) return options.faultSeconds;
  const kinds = kindsOf(options.scenario);
  const overheadMs = options.quietSeconds * 1000 * (kinds.length + 1) + kinds.reduce((ms, k) => ms + (k === 'kill' ? RESTART_ALLOWANCE_MS : HEAL_ALLOWANCE_MS), 0);
  const fit = Math.floor((windowMs - overheadMs) / kinds.length / 1000);
  return Math.max(FAULT_SECONDS_MIN, Math.min(options.faultSeconds, fit));
}

/**
 * Injects faults one at a time: a calm spell, then a fault, then its healing, until the fault window
 * ends. `all` cycles kill -> pause -> zone. Kill and pause targets come from a seeded shuffled deck
 * of the storage nodes (and the routers, when there is more than one), so successive faults hit
 * different processes; zones are taken in turn.
 */
export class FaultRunner {
  readonly records: FaultRecord[] = [];
  private readonly random: () => number;
  private deck: LabHost[] = [];

  constructor(private readonly deps: FaultDeps) {
    this.random = seededRandom(deps.options.seed);
  }

  private nextTarget(): LabHost {
    if (this.deck.length === 0) {
      const { plan } = this.deps;
      this.deck = plan.routers.length > 1 ? [...plan.storage, ...plan.routers] : [...plan.storage];
      for (let i = this.deck.length - 1; i > 0; i--) {
        const j = Math.floor(this.random() * (i + 1));
        [this.deck[i], this.deck[j]] = [this.deck[j], this.deck[i]];
      }
    }
    return this.deck.pop()!;
  }

  /** A one-line description of the schedule, for the log and the summary. */
  static describe(options: LabOptions, windowMs: number): string {
    const faultSeconds = faultSecondsFor(options, windowMs);
    const shortened = faultSeconds < options.faultSeconds && !options.faultSecondsExplicit ? ', shortened to fit' : '';
    return `${kindsOf(options.scenario).join(' -> ')} in turn, ${faultSeconds} s each${shortened}, ${options.quietSeconds} s calm before each, within the first ${Math.round(windowMs / 1000)} s of load`;
  }

  async run(endAtMs: number): Promise<void> {
    const { options, signal } = this.deps;
    const kinds = kindsOf(options.scenario);
    const zones = options.zones;
    let zoneIndex = Math.floor(this.random() * zones.length);
    const faultSeconds = faultSecondsFor(options, endAtMs - Date.now());
    const faultMs = faultSeconds * 1000;
    await sleep(Math.min(options.quietSeconds * 1000, Math.max(0, endAtMs - Date.now())), signal);
    for (let i = 0; ; i++) {
      const kind = kinds[i % kinds.length];
      const allowance = kind === 'kill' ? RESTART_ALLOWANCE_MS : HEAL_ALLOWANCE_MS;
      if (Date.now() + faultMs + allowance > endAtMs) {
        if (i < kinds.length) this.deps.log(`no time left for a ${faultSeconds} s ${kind} fault before the settle period; raise --minutes or lower --fault-seconds`);
        break;
      }
      if (kind === 'zone') await this.zoneFault(zones[zoneIndex++ % zones.length], faultMs);
      else await this.processFault(kind, this.nextTarget(), faultMs);
      const quietMs = Math.min(options.quietSeconds * 1000, Math.max(0, endAtMs - Date.now()));
      await sleep(quietMs, signal);
      if (Date.now() >= endAtMs) break;
    }
  }

  private begin(kind: FaultKind, target: string, label: string): FaultRecord {
    const record: FaultRecord = {
      n: this.records.length + 1,
      kind,
      target,
      startSeconds: this.deps.seconds(),
      phase: `#${this.records.length + 1} ${label}`,
      how: '',
      outcome: '',
    };
    this.records.push(record);
    this.deps.load.setPhase(record.phase);
    return record;
  }

  private async processFault(kind: 'kill' | 'pause', host: LabHost, faultMs: number): Promise<void> {
    const { supervisor, signal, log, seconds } = this.deps;
    if (!supervisor.isRunning(host.id)) {
      log(`skipping ${kind} of ${host.id}: it is not running`);
      return;
    }
    const pid = supervisor.pid(host.id);
    const record = this.begin(kind, host.id, kind === 'kill' ? `kill -9 ${host.id}` : `pause ${host.id}`);
    if (kind === 'kill') {
      record.how = `SIGKILL to pid ${pid}, restart after ${faultMs / 1000} s with the same data dir`;
      log(`fault #${record.n}: kill -9 ${host.id} (pid ${pid})`);
      await supervisor.kill9(host.id);
      await sleep(faultMs, signal);
      record.healSeconds = seconds();
      log(`restarting ${host.id}`);
      try {
        await supervisor.start(host.id);
        record.doneSeconds = seconds();
        record.outcome = `back after ${(record.doneSeconds - record.healSeconds).toFixed(1)} s of restart`;
        log(`${host.id} is back (pid ${supervisor.pid(host.id)}, ${record.outcome})`);
      } catch (error) {
        record.outcome = `RESTART FAILED: ${(error as Error).message}`;
        log(record.outcome);
      }
    } else {
      record.how = `SIGSTOP to pid ${pid}, SIGCONT after ${faultMs / 1000} s`;
      log(`fault #${record.n}: pause ${host.id} (SIGSTOP pid ${pid})`);
      supervisor.pause(host.id);
      try {
        await sleep(faultMs, signal);
      } finally {
        supervisor.resume(host.id);
      }
      record.healSeconds = record.doneSeconds = seconds();
      record.outcome = 'resumed';
      log(`resumed ${host.id} (SIGCONT)`);
    }
    this.deps.load.setPhase('no fault');
  }

  private async zoneFault(zone: string, faultMs: number): Promise<void> {
    const { network, signal, log, seconds, options } = this.deps;
    const record = this.begin('zone', `zone ${zone}`, `zone ${zone} cut (${options.zoneCut})`);
    record.how = await network.cutZone(zone, options.zoneCut);
    log(`fault #${record.n}: ${record.how}`);
    try {
      await sleep(faultMs, signal);
    } finally {
      await network.heal();
    }
    record.healSeconds = record.doneSeconds = seconds();
    record.outcome = 'healed';
    log(`healed zone ${zone}`);
    this.deps.load.setPhase('no fault');
  }
}
