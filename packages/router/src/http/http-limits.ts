/**
 * DynamoDB refuses HTTP request bodies above 16 MB (the BatchWriteItem limit plus framing) with
 * HTTP 413, whether the body is announced by Content-Length or sent chunked.
 */
export const REQUEST_BODY_BYTES_MAX = 16 * 1024 * 1024;
/** The protocol version prefix of X-Amz-Target for DynamoDB operations. */
export const TARGET_PREFIX = 'DynamoDB_20120810.';
export const JSON_CONTENT_TYPE = 'application/x-amz-json-1.0';

/**
 * The router's HTTP edge: how long a connection may say nothing, how many it keeps, how much
 * request body it holds in memory. A hostile client can open connections and send nothing, or
 * send a body a byte at a time; each limit below keeps one such client from starving the others.
 * Defaults are the *_DEFAULT constants; `main.ts` takes each from a flag.
 */
export interface HttpEdgeLimits {
  /** Connections held at once. At the cap a new connection evicts the longest-silent one. */
  connectionsMax: number;
  /** A new connection must send a whole request head within this, or it is closed. */
  headersTimeoutMs: number;
  /** A keep-alive connection with no request under way is closed after this. */
  idleTimeoutMs: number;
  /** A request's body must have arrived whole within this from its head, or the connection is closed. */
  requestTimeoutMs: number;
  /** Request body bytes buffered across all requests; past it a request gets ServiceUnavailable. */
  bodyBytesInFlightMax: number;
}

/**
 * 10,000 connections: far more than routers behind a load balancer see (SDK clients keep ~50 each),
 * and each costs one file descriptor and ~10 KB of memory, so 10,000 stay well inside a process's
 * usual 20,000-65,536 descriptors. Lowered further to fit the process's own descriptor limit
 * (see connectionsMaxForFdLimit).
 */
export const CONNECTIONS_MAX_DEFAULT = 10_000;
/**
 * Descriptors kept free of client connections for everything else a router opens: gRPC channels
 * to every storage node, gossip, log files, /proc reads (half the limit when that is less). Node
 * raises its soft open-files limit to the hard one at start, so this is usually far below it.
 */
export const FD_RESERVE_COUNT = 1024;
/** SDKs send a request the moment they connect; 10 s covers a congested link, not a silent client. */
export const HEADERS_TIMEOUT_MS_DEFAULT = 10_000;
/** Longer than the 60 s idle timeout of common load balancers and SDK agents, so the client closes first. */
export const IDLE_TIMEOUT_MS_DEFAULT = 65_000;
/** 16 MB at ~300 KB/s; a body slower than that is holding memory, not uploading. */
export const REQUEST_TIMEOUT_MS_DEFAULT = 60_000;
/** 16 full-size bodies at once, or thousands of ordinary ones: a bound on what slow bodies can pin. */
export const BODY_BYTES_IN_FLIGHT_MAX_DEFAULT = 256 * 1024 * 1024;
/** How often timeouts are enforced; a timeout may run over by up to this. */
export const CONNECTION_SWEEP_INTERVAL_MS = 1_000;
/**
 * After a 413 the rest of the body is read and thrown away (up to this many bytes), so that the
 * client reads the 413 instead of a connection reset; past it the connection is closed.
 */
export const REFUSED_BODY_DRAIN_BYTES_MAX = 32 * 1024 * 1024;
/** ...and for at most this long. */
export const REFUSED_BODY_DRAIN_MS_MAX = 5_000;

export const HTTP_EDGE_LIMITS_DEFAULT: Readonly<HttpEdgeLimits> = {
  connectionsMax: CONNECTIONS_MAX_DEFAULT,
  headersTimeoutMs: HEADERS_TIMEOUT_MS_DEFAULT,
  idleTimeoutMs: IDLE_TIMEOUT_MS_DEFAULT,
  requestTimeoutMs: REQUEST_TIMEOUT_MS_DEFAULT,
  bodyBytesInFlightMax: BODY_BYTES_IN_FLIGHT_MAX_DEFAULT,
};

/** The connection cap that fits an open-files limit (undefined: unknown or unlimited). */
export function connectionsMaxForFdLimit(requested: number, openFilesLimit: number | undefined): number {
  if (openFilesLimit === undefined) return requested;
  // Under a small limit (a shell's 1,024) half is kept for the rest, not all of it.
  const reserve = Math.min(FD_RESERVE_COUNT, Math.floor(openFilesLimit / 2));
  return Math.max(1, Math.min(requested, openFilesLimit - reserve));
}

/** The soft "Max open files" of a /proc/<pid>/limits text; undefined when absent or unlimited. */
export function openFilesSoftLimit(limitsText: string): number | undefined {
  const line = limitsText.split('\n').find((l) => l.startsWith('Max open files'));
  const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
  if (soft === undefined || !/^\d+$/.test(soft)) return undefined;
  return Number(soft);
}
