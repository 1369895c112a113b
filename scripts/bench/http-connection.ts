/**
 * One keep-alive HTTP/1.1 connection carrying one request at a time, written straight to a socket:
 * a request is one socket write of a prebuilt string, a response is parsed by HttpResponseParser.
 * The load generator shares two cores with the server under test, and node:http's client costs
 * it about twice the CPU per request of this.
 */
import * as net from 'node:net';
import * as tls from 'node:tls';
import { HttpResponseParser, type ParsedResponse } from './http-response-parser';

export interface Endpoint {
  host: string;
  port: number;
  tls: boolean;
}

export class ConnectionError extends Error {
  constructor(message: string, readonly code: string) {
    super(message);
  }
}

interface InFlight {
  resolve: (response: ParsedResponse) => void;
  reject: (error: ConnectionError) => void;
  timer: NodeJS.Timeout;
}

export class HttpConnection {
  private readonly socket: net.Socket;
  private readonly parser = new HttpResponseParser();
  private inFlight?: InFlight;
  private closed = false;
  /** When the last response arrived (for dropping connections the server may have timed out). */
  idleSince = 0;

  constructor(endpoint: Endpoint) {
    this.socket = endpoint.tls
      ? tls.connect({ host: endpoint.host, port: endpoint.port, servername: net.isIP(endpoint.host) ? undefined : endpoint.host, rejectUnauthorized: false })
      : net.connect({ host: endpoint.host, port: endpoint.port });
    this.socket.setNoDelay(true);
    this.socket.on('data', (chunk: Buffer) => this.received(chunk));
    this.socket.on('end', () => {
      const last = this.safely(() => this.parser.end());
      if (last) this.complete(last);
      this.fail(new ConnectionError('connection closed by the server', 'ECONNRESET'));
    });
    this.socket.on('error', (error: NodeJS.ErrnoException) => this.fail(new ConnectionError(error.message, error.code ?? error.name)));
    this.socket.on('close', () => this.fail(new ConnectionError('connection closed', 'ECONNRESET')));
  }

  /** Usable for another request. */
  get open(): boolean {
    return !this.closed;
  }

  /** Sends one whole request (head and body) and resolves with the response. */
  request(text: string, timeoutMs: number): Promise<ParsedResponse> {
    if (this.closed) return Promise.reject(new ConnectionError('connection closed', 'ECONNRESET'));
    if (this.inFlight) return Promise.reject(new ConnectionError('connection busy', 'ConnectionBusy'));
    return new Promise<ParsedResponse>((resolve, reject) => {
      const timer = setTimeout(() => this.fail(new ConnectionError(`request timed out after ${timeoutMs} ms`, 'ClientTimeout')), timeoutMs);
      this.inFlight = { resolve, reject, timer };
      this.socket.write(text);
    });
  }

  close(): void {
    this.fail(new ConnectionError('client closed', 'ClientClosed'));
  }

  private received(chunk: Buffer): void {
    const response = this.safely(() => this.parser.push(chunk));
    if (response) this.complete(response);
  }

  private safely<T>(parse: () => T): T | undefined {
    try {
      return parse();
    } catch (error) {
      const e = error as { message: string; code?: string };
      this.fail(new ConnectionError(e.message, e.code ?? 'HttpProtocolError'));
      return undefined;
    }
  }

  private complete(response: ParsedResponse): void {
    const request = this.inFlight;
    if (!request) {
      this.fail(new ConnectionError('response without a request', 'HttpProtocolError'));
      return;
    }
    this.inFlight = undefined;
    clearTimeout(request.timer);
    this.idleSince = Date.now();
    if (response.closes) this.fail(new ConnectionError('connection closed by the server', 'ECONNRESET'));
    request.resolve(response);
  }

  /** Ends the connection; a request in flight fails with `error`. */
  private fail(error: ConnectionError): void {
    if (!this.closed) {
      this.closed = true;
      this.socket.destroy();
    }
    const request = this.inFlight;
    if (!request) return;
    this.inFlight = undefined;
    clearTimeout(request.timer);
    request.reject(error);
  }
}
