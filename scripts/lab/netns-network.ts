import type { LabNetwork, TeardownReport } from './network';
import type { LabOptions, ZoneCut } from './options';
import { BRIDGE_NAME, LINK_PREFIX, NETNS_PREFIX, type ClusterPlan, type LabHost } from './plan';
import { run, sleepSync } from './sh';

/** The interface name every host sees inside its namespace. */
const HOST_IFACE = 'eth0';
/** A locally administered MAC no interface has: frames sent to it are flooded by the bridge and dropped by everyone. */
const BLACKHOLE_MAC = '02:7a:1a:b0:de:ad';
/** HTB classes in each host: 1:10 for its own zone (and the driver), 1:20 for hosts in other zones. */
const SAME_ZONE_CLASS = '1:10';
const CROSS_ZONE_CLASS = '1:20';
/** HTB needs a rate; this one never binds, HTB only sorts packets into the two delay classes. */
const HTB_RATE = 'rate 10gbit ceil 10gbit quantum 60000';
/** Time for a cut or heal to reach sockets: neighbour changes and carrier changes are immediate. */
const SETTLE_MS = 100;

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Namespaces whose names carry the lab's prefix. */
export function listLabNamespaces(): string[] {
  const { ok, stdout } = run('ip', ['netns', 'list'], { allowFail: true });
  if (!ok) return [];
  return stdout
    .split('\n')
    .map((line) => line.trim().split(/\s+/)[0])
    .filter((name) => name && name.startsWith(NETNS_PREFIX));
}

/** Links in the root namespace whose names carry the lab's prefix (the bridge, root-side veth ends). */
export function listLabLinks(): string[] {
  const { ok, stdout } = run('ip', ['-o', 'link', 'show'], { allowFail: true });
  if (!ok) return [];
  const names = stdout
    .split('\n')
    .map((line) => /^\d+:\s+([^:@\s]+)/.exec(line)?.[1])
    .filter((name): name is string => !!name && name.startsWith(LINK_PREFIX));
  return [...new Set(names)];
}

/** PIDs of processes living in namespace `ns`. */
export function namespacePids(ns: string): number[] {
  const { ok, stdout } = run('ip', ['netns', 'pids', ns], { allowFail: true });
  if (!ok) return [];
  return stdout.split('\n').map((s) => Number(s.trim())).filter((n) => Number.isInteger(n) && n > 0);
}

/**
 * Removes every lab namespace and link by name prefix: first SIGKILLs whatever still runs inside a
 * lab namespace (only lab processes live there), then deletes the namespaces (which destroys the
 * veth pairs) and any link left in the root namespace (the bridge, half-built veths).
 */
export function removeLabNetwork(extraNamespaces: string[] = []): TeardownReport {
  const removed: string[] = [];
  const namespaces = [...new Set([...extraNamespaces, ...listLabNamespaces()])];
  for (const ns of namespaces) {
    for (const pid of namespacePids(ns)) {
      try {
        process.kill(pid, 'SIGKILL');
        removed.push(`process ${pid} (in ${ns})`);
      } catch {
        // already gone
      }
    }
  }
  for (const ns of namespaces) {
    if (run('ip', ['netns', 'del', ns], { allowFail: true }).ok) removed.push(`netns ${ns}`);
  }
  // A namespace's veth end, and with it the root-side end, goes away once its last process has
  // exited; give the kernel a moment, then delete whatever root-side link is still there.
  for (let attempt = 0; attempt < 20; attempt++) {
    const links = listLabLinks();
    if (links.length === 0) break;
    for (const link of links) {
      if (run('ip', ['link', 'del', link], { allowFail: true }).ok) removed.push(`link ${link}`);
    }
    sleepSync(100);
  }
  const leftovers = [...listLabNamespaces().map((n) => `netns ${n}`), ...listLabLinks().map((l) => `link ${l}`)];
  return { removed, leftovers };
}

/** Whether namespaces, veth pairs and bridges can be created here; if not, why. */
export function probeNetns(): { ok: true } | { ok: false; reason: string } {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return { ok: false, reason: 'not running as root' };
  if (!run('ip', ['-V'], { allowFail: true }).ok) return { ok: false, reason: 'the `ip` command (iproute2) is not installed' };
  const ns = `${NETNS_PREFIX}probe-${process.pid}`;
  const link = `${LINK_PREFIX}probe`;
  try {
    run('ip', ['netns', 'add', ns]);
    run('ip', ['link', 'add', link, 'type', 'veth', 'peer', 'name', `${link}p`]);
    run('ip', ['link', 'set', `${link}p`, 'netns', ns]);
    run('ip', ['link', 'add', `${link}br`, 'type', 'bridge']);
    return { ok: true };
  } catch (error) {
    return { ok: false, reason: (error as Error).message };
  } finally {
    run('ip', ['link', 'del', `${link}br`], { allowFail: true });
    run('ip', ['link', 'del', link], { allowFail: true });
    run('ip', ['netns', 'del', ns], { allowFail: true });
  }
}

/**
 * Every host in its own network namespace, wired by a veth pair to one bridge in the root namespace.
 * The bridge has an address in the same /24: that is where the lab driver talks to routers from.
 * Nothing is routed beyond the /24 (namespaces have no default route, IP forwarding is untouched).
 */
export class NetnsNetwork implements LabNetwork {
  readonly kind = 'netns' as const;
  private netemAvailable: boolean | undefined;
  private netemError = '';
  private cut: { zone: string; mode: ZoneCut; hosts: LabHost[]; others: LabHost[] } | undefined;

  constructor(
    private readonly plan: ClusterPlan,
    private readonly options: LabOptions,
  ) {}

  setup(): void {
    const leftovers = [...listLabNamespaces(), ...listLabLinks()];
    if (leftovers.length > 0) {
      throw new Error(`leftovers of an earlier run exist (${leftovers.join(', ')}); remove them with \`npm run lab -- --cleanup\``);
    }
    const clash = run('ip', ['-4', '-o', 'addr', 'show'], { allowFail: true }).stdout.includes(` ${this.options.subnet}.`)
      || run('ip', ['-4', 'route', 'show'], { allowFail: true }).stdout.split('\n').some((l) => l.startsWith(`${this.options.subnet}.`));
    if (clash) throw new Error(`${this.options.subnet}.0/24 is already in use on this machine; pick another with --subnet`);
    try {
      run('ip', ['link', 'add', BRIDGE_NAME, 'type', 'bridge']);
      run('ip', ['addr', 'add', `${this.plan.bridgeIp}/24`, 'dev', BRIDGE_NAME]);
      run('ip', ['link', 'set', BRIDGE_NAME, 'up']);
      for (const host of this.plan.hosts) this.addHost(host);
      if (this.options.latency) for (const host of this.plan.hosts) this.addLatency(host);
    } catch (error) {
      this.teardown();
      throw error;
    }
  }

  private addHost(host: LabHost): void {
    const ns = host.netns!;
    const veth = host.veth!;
    run('ip', ['netns', 'add', ns]);
    run('ip', ['link', 'add', veth, 'type', 'veth', 'peer', 'name', `${veth}p`]);
    run('ip', ['link', 'set', `${veth}p`, 'netns', ns]);
    run('ip', ['-n', ns, '-batch', '-'], {
      input: [
        `link set ${veth}p name ${HOST_IFACE}`,
        `addr add ${host.ip}/24 dev ${HOST_IFACE}`,
        `link set ${HOST_IFACE} up`,
        'link set lo up',
      ].join('\n') + '\n',
    });
    run('ip', ['link', 'set', veth, 'master', BRIDGE_NAME]);
    run('ip', ['link', 'set', veth, 'up']);
  }

  /**
   * Egress delay per destination, inside each host: an HTB root with two classes, a netem qdisc
   * under each (same-zone delay, cross-zone delay), and one u32 filter per host of another zone
   * (match ip dst <ip>/32 -> cross-zone class). Everything else, including replies to the driver,
   * takes the default same-zone class. Both ends delay their own egress, so a round trip between
   * zones costs 2 x the cross-zone figure.
   */
  private addLatency(host: LabHost): void {
    const ns = host.netns!;
    const tc = (args: string, allowFail = false) => run('tc', ['-n', ns, ...args.split(' ')], { allowFail });
    tc(`qdisc add dev ${HOST_IFACE} root handle 1: htb default 10`);
    tc(`class add dev ${HOST_IFACE} parent 1: classid ${SAME_ZONE_CLASS} htb ${HTB_RATE}`);
    tc(`class add dev ${HOST_IFACE} parent 1: classid ${CROSS_ZONE_CLASS} htb ${HTB_RATE}`);
    const leaves: Array<[string, string, number]> = [
      [SAME_ZONE_CLASS, '10:', this.options.latencySameZoneMs],
      [CROSS_ZONE_CLASS, '20:', this.options.latencyCrossZoneMs],
    ];
    for (const [parent, handle, ms] of leaves) {
      if (ms <= 0 || this.netemAvailable === false) continue;
      const result = tc(`qdisc add dev ${HOST_IFACE} parent ${parent} handle ${handle} netem delay ${ms}ms`, true);
      if (result.ok) {
        this.netemAvailable = true;
      } else if (this.netemAvailable === undefined && /unknown/i.test(result.stderr)) {
        // The kernel was built without sch_netem: keep the classes (they still sort and count
        // packets) and report that no delay is applied.
        this.netemAvailable = false;
        this.netemError = result.stderr.trim();
      } else {
        throw new Error(`tc netem on ${ns}: ${result.stderr.trim()}`);
      }
    }
    const others = this.plan.hosts.filter((h) => h.zone !== host.zone);
    if (others.length > 0) {
      run('tc', ['-n', ns, '-batch', '-'], {
        input: others.map((o) => `filter add dev ${HOST_IFACE} parent 1: protocol ip prio 1 u32 match ip dst ${o.ip}/32 flowid ${CROSS_ZONE_CLASS}`).join('\n') + '\n',
      });
    }
  }

  wrap(host: LabHost): string[] {
    return ['ip', 'netns', 'exec', host.netns!];
  }

  envFor(): Record<string, string> {
    return {};
  }

  async cutZone(zone: string, mode: ZoneCut): Promise<string> {
    if (this.cut) await this.heal();
    const hosts = this.plan.hosts.filter((h) => h.zone === zone);
    const others = this.plan.hosts.filter((h) => h.zone !== zone);
    this.cut = { zone, mode, hosts, others };
    if (mode === 'unplug') {
      for (const host of hosts) run('ip', ['link', 'set', host.veth!, 'down']);
      await delay(SETTLE_MS);
      return `unplugged zone ${zone}: \`ip link set <veth> down\` on ${hosts.map((h) => h.veth).join(', ')} (${hosts.map((h) => h.id).join(', ')}); clients cannot reach it either`;
    }
    // Both directions: each side's neighbour entry for the other points at a MAC nobody owns, so
    // packets (including those of open connections) vanish silently, as on a cut link.
    for (const host of hosts) this.setNeighbours(host, others, 'replace');
    for (const other of others) this.setNeighbours(other, hosts, 'replace');
    await delay(SETTLE_MS);
    return `isolated zone ${zone} (${hosts.map((h) => h.id).join(', ')}) from the other zones: permanent neighbour entries to ${BLACKHOLE_MAC} on both sides; the driver still reaches every host`;
  }

  private setNeighbours(host: LabHost, targets: LabHost[], action: 'replace' | 'del'): void {
    const lines = targets.map((t) =>
      action === 'replace' ? `neigh replace ${t.ip} lladdr ${BLACKHOLE_MAC} nud permanent dev ${HOST_IFACE}` : `neigh del ${t.ip} dev ${HOST_IFACE}`,
    );
    // -force: a missing entry on `del` must not stop the rest of the batch.
    run('ip', ['-force', '-n', host.netns!, '-batch', '-'], { input: lines.join('\n') + '\n', allowFail: action === 'del' });
  }

  async heal(): Promise<void> {
    const cut = this.cut;
    if (!cut) return;
    this.cut = undefined;
    if (cut.mode === 'unplug') {
      for (const host of cut.hosts) run('ip', ['link', 'set', host.veth!, 'up']);
    } else {
      for (const host of cut.hosts) this.setNeighbours(host, cut.others, 'del');
      for (const other of cut.others) this.setNeighbours(other, cut.hosts, 'del');
    }
    await delay(SETTLE_MS);
  }

  describe(): string[] {
    const zones = [...new Set(this.plan.hosts.map((h) => h.zone))];
    const lines = [
      `network: one namespace per host (${NETNS_PREFIX}<id>), veth pairs to bridge ${BRIDGE_NAME} (${this.plan.bridgeIp}/24, the driver) in the root namespace`,
      ...zones.map((z) => `  zone ${z}: ${this.plan.hosts.filter((h) => h.zone === z).map((h) => `${h.id} ${h.ip}`).join(', ')}`),
    ];
    if (!this.options.latency) {
      lines.push('latency: none (--no-latency)');
    } else if (this.netemAvailable === false) {
      lines.push(
        `latency: NOT APPLIED - this kernel has no netem qdisc (${this.netemError}); the HTB classes and per-destination filters are in place and count packets, but add no delay`,
      );
    } else {
      lines.push(`latency: one-way ${this.options.latencySameZoneMs} ms within a zone, ${this.options.latencyCrossZoneMs} ms between zones (tc htb + netem + u32 dst filters, per host)`);
    }
    return lines;
  }

  statistics(): string[] {
    if (!this.options.latency) return [];
    let same = 0;
    let cross = 0;
    for (const host of this.plan.hosts) {
      const { ok, stdout } = run('tc', ['-n', host.netns!, '-s', 'class', 'show', 'dev', HOST_IFACE], { allowFail: true });
      if (!ok) continue;
      for (const block of stdout.split(/\n(?=class )/)) {
        const packets = Number(/Sent \d+ bytes (\d+) pkt/.exec(block)?.[1] ?? 0);
        if (block.includes(`htb ${SAME_ZONE_CLASS} `)) same += packets;
        if (block.includes(`htb ${CROSS_ZONE_CLASS} `)) cross += packets;
      }
    }
    return [`packets sent by hosts: ${cross} to other zones (cross-zone class), ${same} within their zone or to the driver (same-zone class)`];
  }

  teardown(): TeardownReport {
    return removeLabNetwork(this.plan.hosts.map((h) => h.netns!));
  }
}
