import { NodeChangeCluster, runChange, type ChangeIntent, type ChangeListener } from '@triad/cli';
import type { ClusterLayout, PartitionMove } from '@triad/ring';
import { sleep, type Prng, type SimulatedEnvironment } from '@triad/runtime';
import { CHANGE_FINISH_SIMULATED_MS_MAX, CHECK_READ_ATTEMPTS_MAX, MOVED_ITEMS, SETUP_ATTEMPTS_MAX, MOVE_SPLIT_AT_APPEND_PROBABILITY, MOVE_SPLIT_CHANGE_DELAY_MS_MAX, MOVE_SPLIT_FIRST_CHANGE_PROBABILITY, MOVE_SPLIT_HELD_MS_MAX, MOVE_SPLIT_HELD_MS_MIN, MOVE_SPLIT_PUSH_WAIT_MS } from './limits';
import { LinkCuts, type FaultHook } from './network-faults';
import type { SimCluster, SimRouter } from './sim-cluster';

/** The table whose items are written once before the changes and must all be there after them. */
export const MOVED_TABLE = 'SimMoved';

/** One line of a scenario's trace (merged into a replay's trace with the fault schedule's). */
export interface ScenarioEvent {
  atMs: number;
  kind: string;
  what: string;
}

/** Which nodes a partition's move takes out, keeps, and brings in. Pure. */
export function moveRoles(move: PartitionMove): { leaving: string[]; staying: string[]; incoming: string[] } {
  return {
    leaving: move.from.filter((id) => !move.to.includes(id)),
    staying: move.from.filter((id) => move.to.includes(id)),
    incoming: move.to.filter((id) => !move.from.includes(id)),
  };
}

/**
 * The split around a move run by `leader`: {leader, incoming} | {every other replica of the old or
 * new set}. With the leader a staying replica that is {leader, incoming} | {staying, leaving}: a
 * majority of the new set on one side, of the old set on the other (issue 11, failure 3). Pure.
 */
export function splitAroundMove(move: PartitionMove, leader: string): [string[], string[]] {
  const one = [...new Set([leader, ...moveRoles(move).incoming])];
  const other = [...new Set([...move.from, ...move.to])].filter((id) => !one.includes(id));
  return [one, other];
}

/** A split around one move, armed until its trigger (see `MembershipChanges.watchConfiguration`). */
interface ArmedSplit {
  one: string[];
  other: string[];
  /** The node the runner asked to run the move (it follows the runner to another replica). */
  leader: string;
  partition: number;
  move: PartitionMove;
  /**
   * Which of the move's configuration entries that change the voters raises it (1st or 2nd), how
   * long after it is seen, and which side the CLI is on (`every`: it reaches both).
   */
  trigger: { atChange: number; delayMs: number; cliSide: (typeof CLI_SIDES)[number] };
  /** The voter-changing configurations seen in the leader's log so far. */
  changesSeen: Set<string>;
  state: 'armed' | 'pending' | 'up' | 'over';
}

/** The process the change runner runs in (the operator's `triad` CLI). */
const CLI_PROCESS = 'triad-cli';

/** Where a split around a move leaves the CLI, drawn evenly: with both sides, or on one of them. */
const CLI_SIDES = ['every', 'leader', 'far'] as const;

/** Whether two lists name the same nodes. Pure. */
function sameMembers(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((id) => b.includes(id));
}

/** Whether a layout shows the change done (the node in it after a join, out of it after a decommission). */
function isDone(intent: ChangeIntent, layout: ClusterLayout): boolean {
  const present = layout.storageNodes.some((n) => n.id === (intent.kind === 'join' ? intent.node.id : intent.nodeId));
  return intent.kind === 'join' ? present : !present;
}

/** The nodes that may join, by id and zone: a second node in zones a and b. */
export const JOINING_NODES = [
  { id: 'storage-d', zone: 'a' },
  { id: 'storage-e', zone: 'b' },
] as const;

/**
 * Joins and decommissions while the workload and the fault schedule run (issue 12), driven by the
 * CLI's own change runner (`@triad/cli`'s `runChange` over `NodeChangeCluster`, here on the
 * simulated network and clock of a `triad-cli` process): storage-d joins in zone a; with a seeded
 * chance storage-e joins in zone b; then a node whose zone now has two is decommissioned. During
 * one seeded move of each change the network splits {leader, incoming} | {staying, leaving}: at
 * the moment the move's leader first pushes its switched layout to a node of the other side (that
 * push and everything after it between the sides is lost), or a seeded while after the move
 * started; held for a seeded while, then healed. Routers and the CLI reach every node throughout.
 *
 * A change the runner gives up on (its stall limit) is run again, resumed from the newest layout
 * any node has; `finish`, after the schedule healed everything, runs what is left to its end.
 */
export class MembershipChanges {
  readonly events: ScenarioEvent[] = [];
  readonly counts = new Map<string, number>();
  private readonly admin: NodeChangeCluster;
  private readonly cuts = new LinkCuts();
  private readonly removeHook: () => void;
  /** The changes still to run, in order (the first may be under way). */
  private readonly plan: ChangeIntent[] = [];
  /** A split waiting for its move's trigger (the hook starts it), about to go up (`pending`), or held now. */
  private split?: ArmedSplit;

  constructor(
    private readonly cluster: SimCluster,
    private readonly prng: Prng,
    private readonly env: SimulatedEnvironment,
  ) {
    const cli = cluster.simulator.environment({ name: CLI_PROCESS });
    this.admin = new NodeChangeCluster(cluster.network.process(CLI_PROCESS, cli).storage, cli);
    this.removeHook = cluster.network.addFaults(this.hook);
  }

  /** Whether a split around a move is up now. */
  splitUp(): boolean {
    return this.split?.state === 'up';
  }

  private note(kind: string, what: string): void {
    this.events.push({ atMs: this.cluster.simulator.nowMs, kind, what });
  }

  private count(kind: string): void {
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1);
  }

  /**
   * The split's cuts, and its triggers, looked at whenever the move's leader sends anything: a
   * configuration entry of the move that changes the voters, appended and not yet committed (the
   * message that would carry it across is the first one cut), or the leader pushing its switched
   * layout across the split (a move whose switch is not in the log).
   */
  private readonly hook: FaultHook = (message, random) => {
    const split = this.split;
    if (split?.state === 'armed' && message.from === split.leader) {
      if (message.method === 'setLayout' && message.direction === 'request' && split.other.includes(message.to)) this.raiseSplit(`the push of ${split.leader} to ${message.to}`);
      else this.watchConfiguration(split);
    }
    return this.cuts.hook(message, random);
  };

  /**
   * Raises the armed split at the `atChange`-th configuration entry of its move that changes the
   * voters (a promotion, a removal, or both at once), seen in the leader's log before it commits:
   * at once, or `delayMs` later (by then the entry may have reached the far side). The old voters
   * on the far side can then still elect by the old configuration while the leader's side commits
   * with the new one, unless every majority of the one meets every majority of the other.
   */
  private watchConfiguration(split: ArmedSplit): void {
    const status = this.cluster.nodes.get(split.leader)?.process?.node?.inspection.configuration(split.partition);
    if (!status || status.committed || sameMembers(status.voters, split.move.from)) return;
    const change = `voters ${status.voters.join(',')}; learners ${status.learners.join(',') || '-'}`;
    if (split.changesSeen.has(change)) return;
    split.changesSeen.add(change);
    if (split.changesSeen.size !== split.trigger.atChange) return;
    const why = `${split.leader} appended the configuration entry (${change})`;
    if (split.trigger.delayMs === 0) {
      this.raiseSplit(`${why}, before it commits`);
      return;
    }
    split.state = 'pending';
    this.env.setTimeout(() => {
      if (this.split === split && split.state === 'pending') this.raiseSplit(`${Math.round(split.trigger.delayMs * 10) / 10} ms after ${why}`);
    }, split.trigger.delayMs);
  }

  /**
   * Creates `SimMoved` and writes its items once (acknowledged, before any fault): the moves
   * stream them, and `checkItems` reads every one of them back at the end.
   */
  async setup(router: SimRouter): Promise<void> {
    await router.call('CreateTable', {
      TableName: MOVED_TABLE,
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    });
    // Tried again after a retriable error, as the index workload's setup (seed 230 of --moves --indexes stopped here).
    for (let k = 0; k < MOVED_ITEMS; k++) await router.callRetrying('PutItem', { TableName: MOVED_TABLE, Item: { pk: { S: `m${k}` }, v: { S: `value-${k}` } } }, SETUP_ATTEMPTS_MAX);
  }

  /** Every item of `SimMoved` reads back, strongly, as it was written (an acknowledged write lost in a move would not). */
  async checkItems(router: SimRouter, failures: string[]): Promise<void> {
    for (let k = 0; k < MOVED_ITEMS; k++) {
      let error = '';
      let item: Record<string, { S?: string }> | undefined;
      for (let attempt = 1; attempt <= CHECK_READ_ATTEMPTS_MAX; attempt++) {
        try {
          item = ((await router.call('GetItem', { TableName: MOVED_TABLE, Key: { pk: { S: `m${k}` } }, ConsistentRead: true })) as { Item?: Record<string, { S?: string }> }).Item;
          error = '';
          break;
        } catch (e) {
          error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
          await sleep(this.env, 500);
        }
      }
      if (error) failures.push(`final read of ${MOVED_TABLE} m${k} failed ${CHECK_READ_ATTEMPTS_MAX} times: ${error}`);
      else if (item?.v?.S !== `value-${k}`) failures.push(`acknowledged write lost: ${MOVED_TABLE} m${k} reads ${item ? JSON.stringify(item) : '(absent)'} after the moves, written as value-${k}`);
    }
  }

  /** Plans the changes (seeded). */
  planChanges(): void {
    const [d, e] = JOINING_NODES;
    this.plan.push({ kind: 'join', node: { id: d.id, zone: d.zone, address: `${d.id}:7000` } });
    const fifth = this.prng.chance(0.5);
    if (fifth) this.plan.push({ kind: 'join', node: { id: e.id, zone: e.zone, address: `${e.id}:7000` } });
    // A node of a zone that keeps a second one (every partition needs three zones).
    const leaving = fifth ? this.prng.pick(['storage-a', 'storage-b'])! : 'storage-a';
    this.plan.push({ kind: 'decommission', nodeId: leaving });
  }

  /** Runs the planned changes, one after the other, until done or `untilMs` of simulated time. */
  async run(untilMs = CHANGE_FINISH_SIMULATED_MS_MAX): Promise<void> {
    if (this.plan.length === 0) this.planChanges();
    await sleep(this.env, this.prng.real(0, 3_000));
    await this.drive(this.cluster.simulator.nowMs + untilMs);
  }

  /** After healing: every change left runs to its end; false if it could not within the limit. */
  async finish(): Promise<boolean> {
    this.cuts.heal();
    this.split = undefined;
    const done = await this.drive(this.cluster.simulator.nowMs + CHANGE_FINISH_SIMULATED_MS_MAX, false);
    this.removeHook();
    return done;
  }

  /** What remains to do, in words (for a failure line). */
  remaining(): string {
    return this.plan.map((c) => (c.kind === 'join' ? `join ${c.node.id}` : `decommission ${c.nodeId}`)).join(', ') || 'nothing';
  }

  private async drive(deadlineMs: number, splits = true): Promise<boolean> {
    while (this.plan.length > 0) {
      if (this.cluster.simulator.nowMs >= deadlineMs) return false;
      // As an operator would: a change the cluster still has in progress is finished first.
      const newest = await this.admin.newestLayout(this.cluster.layout);
      if (this.plan[0] && isDone(this.plan[0], newest) && !newest.change) {
        this.plan.shift();
        continue;
      }
      const intent: ChangeIntent = newest.change ? (newest.change.kind === 'join' ? { kind: 'join', node: newest.change.node } : { kind: 'decommission', nodeId: newest.change.node.id }) : this.plan[0]!;
      if (intent.kind === 'join') await this.startJoining(intent.node.id, intent.node.zone);
      try {
        await runChange(this.admin, this.cluster.layout, intent, this.listener(intent, splits));
        continue;
      } catch (error) {
        this.note('change', `the runner stopped: ${String(error).split('\n')[0]}`);
      }
      await sleep(this.env, 1_000);
    }
    return true;
  }

  /** Starts a joining node's process the first time (empty; it learns the layout from the others). */
  private async startJoining(id: string, zone: string): Promise<void> {
    if (!this.cluster.nodes.has(id)) this.cluster.addNode(id, zone);
    const node = this.cluster.node(id);
    if (node.process) return;
    this.note('start', `${id} (zone ${zone}, to join)`);
    await this.cluster.openNode(id).catch((error: unknown) => this.note('start', `${id} failed to open: ${String(error)}`));
  }

  private listener(intent: ChangeIntent, splits: boolean): ChangeListener {
    const seen = new Set<number>();
    let splitAt = -1;
    return {
      started: (info) => {
        this.count(intent.kind);
        this.note(intent.kind, `${info.nodeId} ${info.resumed ? 'resumed' : 'started'}: epoch ${info.epoch}, ${info.movesDone}/${info.movesTotal} moves done`);
        const left = info.movesTotal - info.movesDone;
        splitAt = splits && left > 0 && this.prng.chance(0.8) ? this.prng.int(0, left - 1) : -1;
      },
      moving: ({ move, leader }) => {
        if (!seen.has(move.partition)) {
          seen.add(move.partition);
          if (seen.size - 1 === splitAt) this.armSplit(move, leader);
        } else if (this.split?.state === 'armed' && this.split.partition === move.partition && this.split.leader !== leader) {
          // The runner went to another replica: the split follows whoever runs the move now.
          [this.split.one, this.split.other] = splitAroundMove(move, leader);
          this.split.leader = leader;
        }
      },
      moved: (info) => {
        this.count('move');
        this.note('moved', `partition ${info.move.partition} ${info.move.from.join(',')} -> ${info.move.to.join(',')} by ${info.leader} (${info.recordsStreamed} records streamed), epoch ${info.epoch}`);
      },
      note: (message) => this.note('change', message),
      finished: (info) => this.note(intent.kind, `${info.nodeId} ${info.alreadyDone ? 'was done already' : 'done'}: epoch ${info.epoch}`),
    };
  }

  /**
   * Arms the split around a move run by `leader`: raised at one of its configuration entries that
   * change the voters (seeded: which, and a delay after it, if any), at its layout's push across, or
   * after a seeded while.
   */
  private armSplit(move: PartitionMove, leader: string): void {
    if (this.split?.state === 'up' || this.split?.state === 'pending') return;
    const [one, other] = splitAroundMove(move, leader);
    const trigger = {
      atChange: this.prng.chance(MOVE_SPLIT_FIRST_CHANGE_PROBABILITY) ? 1 : 2,
      delayMs: this.prng.chance(MOVE_SPLIT_AT_APPEND_PROBABILITY) ? 0 : this.prng.real(0, MOVE_SPLIT_CHANGE_DELAY_MS_MAX),
      cliSide: this.prng.pick(CLI_SIDES)!,
    };
    const split: ArmedSplit = { one, other, leader, partition: move.partition, move, trigger, changesSeen: new Set(), state: 'armed' };
    this.split = split;
    const roles = moveRoles(move);
    this.note(
      'arm',
      `split of partition ${move.partition}'s move by ${leader} (leaving ${roles.leaving.join(',') || '-'}, staying ${roles.staying.join(',')}, incoming ${roles.incoming.join(',') || '-'}) at voter change ${trigger.atChange} + ${Math.round(trigger.delayMs * 10) / 10} ms, CLI ${{ every: 'reaching both sides', leader: "on the leader's side", far: 'on the far side' }[trigger.cliSide]}`,
    );
    const waitMs = this.prng.chance(0.7) ? MOVE_SPLIT_PUSH_WAIT_MS : this.prng.real(0, 1_500);
    this.env.setTimeout(() => {
      if (this.split === split && split.state === 'armed') this.raiseSplit(`${Math.round(waitMs)} ms after the move started`);
    }, waitMs);
  }

  private raiseSplit(why: string): void {
    const split = this.split!;
    split.state = 'up';
    // The operator's CLI stays with the side it was drawn to (or reaches both): a leaving node cut
    // off from it and from the leader learns of the switched layout only after healing.
    const one = split.trigger.cliSide === 'leader' ? [...split.one, CLI_PROCESS] : split.one;
    const other = split.trigger.cliSide === 'far' ? [...split.other, CLI_PROCESS] : split.other;
    this.cuts.split([one, other]);
    this.count('split');
    this.note('split', `{${one.join(',')}} | {${other.join(',')}} around partition ${split.partition}: ${why}`);
    const heldMs = this.prng.real(MOVE_SPLIT_HELD_MS_MIN, MOVE_SPLIT_HELD_MS_MAX);
    this.env.setTimeout(() => {
      if (this.split !== split) return;
      split.state = 'over';
      this.cuts.heal();
      this.note('heal', `split around partition ${split.partition} after ${Math.round(heldMs)} ms`);
    }, heldMs);
  }
}
