import type { ZoneCut } from './options';
import type { LabHost, NetworkKind } from './plan';

/** What teardown removed, and what it could not. */
export interface TeardownReport {
  removed: string[];
  leftovers: string[];
}

/** The network the cluster's processes live on, and the zone faults it can inject. */
export interface LabNetwork {
  readonly kind: NetworkKind;
  /** Builds the network; throws (after undoing what it built) when it cannot. */
  setup(): void;
  /** Command prefix that starts a process on `host` (e.g. `ip netns exec <ns>`). */
  wrap(host: LabHost): string[];
  /** Extra environment for `host`'s process. */
  envFor(host: LabHost): Record<string, string>;
  /** Cuts `zone` off; resolves once the cut is in force. Returns what was done, for the report. */
  cutZone(zone: string, mode: ZoneCut): Promise<string>;
  /** Undoes every cut. */
  heal(): Promise<void>;
  /** Lines describing the topology and latency, for the report. */
  describe(): string[];
  /** Lines of traffic statistics (e.g. packets per latency class), collected before teardown. */
  statistics(): string[];
  /** Removes everything setup created. Synchronous, so that it also works from an exit handler. */
  teardown(): TeardownReport;
}
