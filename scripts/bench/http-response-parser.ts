/**
 * Incremental parser of HTTP/1.1 responses on a keep-alive connection that carries one request at
 * a time: feed it the bytes as they arrive, and it returns each complete response. Handles
 * Content-Length, chunked and read-until-close bodies and skips interim (1xx) responses; enough for
 * the servers the benchmark talks to, in a fraction of node:http's work per response.
 */

export interface ParsedResponse {
  status: number;
  body: Buffer;
  /** The server will close the connection after this response. */
  closes: boolean;
}

export class HttpProtocolError extends Error {
  readonly code = 'HttpProtocolError';
}

/** Larger response heads are not from a DynamoDB endpoint. */
const HEAD_BYTES_MAX = 64 * 1024;
const HEAD_END = Buffer.from('\r\n\r\n');
const LINE_END = Buffer.from('\r\n');
const EMPTY = Buffer.alloc(0);

type BodyMode = { kind: 'length'; remaining: number } | { kind: 'chunked'; chunkRemaining: number; trailers: boolean } | { kind: 'close' };

export class HttpResponseParser {
  private pending: Buffer = EMPTY;
  private status = 0;
  private closes = false;
  private mode?: BodyMode;
  private readonly parts: Buffer[] = [];

  /**
   * Adds bytes from the socket; returns the response they complete, if any. Bytes after a
   * complete response are an error: no second request was sent.
   */
  push(chunk: Buffer): ParsedResponse | undefined {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    if (!this.mode && !this.readHead()) return undefined;
    const done = this.readBody();
    if (done && this.pending.length > 0) throw new HttpProtocolError('bytes after the end of the response');
    return done;
  }

  /** The connection ended: the response it completes (a read-until-close body), if any. */
  end(): ParsedResponse | undefined {
    if (this.mode?.kind !== 'close') return undefined;
    this.parts.push(this.pending);
    this.pending = EMPTY;
    return this.finish();
  }

  /** Whether part of a response has arrived. */
  get started(): boolean {
    return this.mode !== undefined || this.pending.length > 0;
  }

  private readHead(): boolean {
    for (;;) {
      const end = this.pending.indexOf(HEAD_END);
      if (end === -1) {
        if (this.pending.length > HEAD_BYTES_MAX) throw new HttpProtocolError('response head too large');
        return false;
      }
      const lines = this.pending.toString('latin1', 0, end).split('\r\n');
      this.pending = this.pending.subarray(end + HEAD_END.length);
      const statusLine = /^HTTP\/1\.([01]) (\d{3})/.exec(lines[0]);
      if (!statusLine) throw new HttpProtocolError(`bad status line: ${lines[0].slice(0, 80)}`);
      const status = Number(statusLine[2]);
      if (status >= 100 && status < 200) continue; // interim response: the real one follows
      let contentLength: number | undefined;
      let chunked = false;
      let connection = statusLine[1] === '0' ? 'close' : 'keep-alive';
      for (let i = 1; i < lines.length; i++) {
        const colon = lines[i].indexOf(':');
        if (colon <= 0) continue;
        const name = lines[i].slice(0, colon).trim().toLowerCase();
        const value = lines[i].slice(colon + 1).trim();
        if (name === 'content-length') contentLength = Number(value);
        else if (name === 'transfer-encoding') chunked = value.toLowerCase().includes('chunked');
        else if (name === 'connection') connection = value.toLowerCase();
      }
      this.status = status;
      this.closes = connection.includes('close');
      if (status === 204 || status === 304) this.mode = { kind: 'length', remaining: 0 };
      else if (chunked) this.mode = { kind: 'chunked', chunkRemaining: -1, trailers: false };
      else if (contentLength !== undefined) {
        if (!Number.isSafeInteger(contentLength) || contentLength < 0) throw new HttpProtocolError('bad Content-Length');
        this.mode = { kind: 'length', remaining: contentLength };
      } else {
        this.mode = { kind: 'close' };
        this.closes = true;
      }
      return true;
    }
  }

  private readBody(): ParsedResponse | undefined {
    const mode = this.mode!;
    if (mode.kind === 'close') {
      this.parts.push(this.pending);
      this.pending = EMPTY;
      return undefined;
    }
    if (mode.kind === 'length') {
      const take = Math.min(mode.remaining, this.pending.length);
      if (take > 0) this.parts.push(this.pending.subarray(0, take));
      this.pending = this.pending.subarray(take);
      mode.remaining -= take;
      return mode.remaining === 0 ? this.finish() : undefined;
    }
    return this.readChunks(mode);
  }

  private readChunks(mode: { chunkRemaining: number; trailers: boolean }): ParsedResponse | undefined {
    for (;;) {
      if (mode.trailers) {
        // After the last chunk: optional trailer lines, then an empty line.
        const lineEnd = this.pending.indexOf(LINE_END);
        if (lineEnd === -1) return undefined;
        this.pending = this.pending.subarray(lineEnd + LINE_END.length);
        if (lineEnd === 0) return this.finish();
        continue;
      }
      if (mode.chunkRemaining < 0) {
        const lineEnd = this.pending.indexOf(LINE_END);
        if (lineEnd === -1) return undefined;
        const size = parseInt(this.pending.toString('latin1', 0, lineEnd).split(';')[0].trim(), 16);
        if (!Number.isSafeInteger(size) || size < 0) throw new HttpProtocolError('bad chunk size');
        this.pending = this.pending.subarray(lineEnd + LINE_END.length);
        if (size === 0) {
          mode.trailers = true;
          continue;
        }
        mode.chunkRemaining = size;
      }
      // Chunk data, then its CRLF.
      if (this.pending.length < mode.chunkRemaining + LINE_END.length) {
        const take = Math.min(mode.chunkRemaining, this.pending.length);
        if (take > 0) this.parts.push(this.pending.subarray(0, take));
        this.pending = this.pending.subarray(take);
        mode.chunkRemaining -= take;
        if (mode.chunkRemaining > 0 || this.pending.length < LINE_END.length) return undefined;
      } else {
        this.parts.push(this.pending.subarray(0, mode.chunkRemaining));
        this.pending = this.pending.subarray(mode.chunkRemaining);
        mode.chunkRemaining = 0;
      }
      this.pending = this.pending.subarray(LINE_END.length);
      mode.chunkRemaining = -1;
    }
  }

  private finish(): ParsedResponse {
    const body = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts);
    const response = { status: this.status, body, closes: this.closes };
    this.parts.length = 0;
    this.mode = undefined;
    this.status = 0;
    this.closes = false;
    return response;
  }
}
