/**
 * Keeps a router's connections bounded when clients misbehave: connections that never send a
 * request, keep-alive connections left idle and bodies trickling in a byte at a time each cost a
 * file descriptor and memory, and Node's HTTP server times out none of the first kind.
 *
 * Every connection is in one state:
 *   fresh      connected, no request head yet          closed after headersTimeoutMs
 *   idle       a keep-alive connection between requests closed after idleTimeoutMs
 *   receiving  a request head arrived, its body has not closed after requestTimeoutMs
 *   executing  a whole request is being served         never closed here
 * At the cap a new connection is still accepted, and the oldest connection that is doing nothing
 * useful makes room for it: the oldest fresh one, else the oldest idle one, else the oldest
 * receiving one. So silent connections cannot lock out a client that sends its request at once;
 * it is refused (closed at once) only when every connection is executing a request.
 *
 * Each state's connections sit in a Map in the order they entered it, so the oldest is the first
 * entry: eviction is O(1) and a sweep stops at the first connection still in time. Time comes from
 * the injected clock; the caller runs sweep() on a timer.
 */

export type ConnectionState = 'fresh' | 'idle' | 'receiving' | 'executing';

/** What the guard needs of a connection: a way to close it. */
export interface GuardedConnection {
  destroy(): void;
}

export interface ConnectionGuardLimits {
  connectionsMax: number;
  headersTimeoutMs: number;
  idleTimeoutMs: number;
  requestTimeoutMs: number;
}

/** Why the guard closed a connection (a metrics label). */
export type CloseReason = 'headers_timeout' | 'idle_timeout' | 'request_timeout' | 'evicted' | 'refused';

const EVICTION_ORDER: readonly Exclude<ConnectionState, 'executing'>[] = ['fresh', 'idle', 'receiving'];

export class ConnectionGuard<C extends GuardedConnection> {
  private readonly states = new Map<C, ConnectionState>();
  /** Connections by state (not executing), each Map in order of entry, with the entry time. */
  private readonly since: Record<Exclude<ConnectionState, 'executing'>, Map<C, number>> = {
    fresh: new Map(),
    idle: new Map(),
    receiving: new Map(),
  };

  constructor(
    private readonly limits: ConnectionGuardLimits,
    private readonly nowMs: () => number,
    /** Told of every connection the guard closes, and why (after it is closed). */
    private readonly onClose: (reason: CloseReason, state: ConnectionState) => void = () => undefined,
  ) {}

  /** Connections held, by state. */
  counts(): Record<ConnectionState, number> {
    return {
      fresh: this.since.fresh.size,
      idle: this.since.idle.size,
      receiving: this.since.receiving.size,
      executing: this.states.size - this.since.fresh.size - this.since.idle.size - this.since.receiving.size,
    };
  }

  get size(): number {
    return this.states.size;
  }

  stateOf(connection: C): ConnectionState | undefined {
    return this.states.get(connection);
  }

  /**
   * A new connection. Returns false (and closes it) when the cap is reached and every connection
   * held is executing a request.
   */
  admit(connection: C): boolean {
    if (this.states.size >= this.limits.connectionsMax && !this.evictOne()) {
      connection.destroy();
      this.onClose('refused', 'fresh');
      return false;
    }
    this.enter(connection, 'fresh');
    return true;
  }

  /** Its request head arrived. */
  receiving(connection: C): void {
    this.move(connection, 'receiving');
  }

  /** Its request is whole and being served. */
  executing(connection: C): void {
    this.move(connection, 'executing');
  }

  /** Its response went out and the connection stays open for the next request. */
  idle(connection: C): void {
    this.move(connection, 'idle');
  }

  /** It closed (for whatever reason). */
  forget(connection: C): void {
    const state = this.states.get(connection);
    if (state === undefined) return;
    this.states.delete(connection);
    if (state !== 'executing') this.since[state].delete(connection);
  }

  /** Closes every connection past its state's timeout. */
  sweep(): void {
    const now = this.nowMs();
    this.expire('fresh', now - this.limits.headersTimeoutMs, 'headers_timeout');
    this.expire('idle', now - this.limits.idleTimeoutMs, 'idle_timeout');
    this.expire('receiving', now - this.limits.requestTimeoutMs, 'request_timeout');
  }

  private expire(state: Exclude<ConnectionState, 'executing'>, enteredBeforeMs: number, reason: CloseReason): void {
    const entries = this.since[state];
    for (const [connection, enteredMs] of entries) {
      if (enteredMs > enteredBeforeMs) break;
      this.close(connection, state, reason);
    }
  }

  private evictOne(): boolean {
    for (const state of EVICTION_ORDER) {
      const oldest = this.since[state].keys().next();
      if (!oldest.done) {
        this.close(oldest.value, state, 'evicted');
        return true;
      }
    }
    return false;
  }

  private close(connection: C, state: ConnectionState, reason: CloseReason): void {
    this.forget(connection);
    connection.destroy();
    this.onClose(reason, state);
  }

  private move(connection: C, state: ConnectionState): void {
    const previous = this.states.get(connection);
    // A connection the guard already closed (or never admitted) stays out.
    if (previous === undefined) return;
    if (previous !== 'executing') this.since[previous].delete(connection);
    this.enter(connection, state);
  }

  private enter(connection: C, state: ConnectionState): void {
    this.states.set(connection, state);
    if (state !== 'executing') this.since[state].set(connection, this.nowMs());
  }
}
