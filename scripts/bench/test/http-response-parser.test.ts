import { HttpResponseParser } from '../http-response-parser';

const head = (lines: string[]) => `${lines.join('\r\n')}\r\n\r\n`;

function feed(parser: HttpResponseParser, text: string, pieceBytes: number) {
  const bytes = Buffer.from(text);
  const results = [];
  for (let i = 0; i < bytes.length; i += pieceBytes) {
    const r = parser.push(bytes.subarray(i, i + pieceBytes));
    if (r) results.push(r);
  }
  return results;
}

describe('HttpResponseParser', () => {
  const body = '{"Item":{"k":{"S":"é"}}}';
  const withLength = head(['HTTP/1.1 200 OK', 'Content-Type: application/x-amz-json-1.0', `Content-Length: ${Buffer.byteLength(body)}`]) + body;

  it.each([1, 3, 7, 1000])('completes a Content-Length response fed in pieces of %i bytes', (piece) => {
    const parser = new HttpResponseParser();
    const [response, ...rest] = feed(parser, withLength, piece);
    expect(rest).toEqual([]);
    expect(response.status).toBe(200);
    expect(response.body.toString()).toBe(body);
    expect(response.closes).toBe(false);
    expect(parser.started).toBe(false);
  });

  it('parses successive responses on one connection', () => {
    const parser = new HttpResponseParser();
    const error = '{"__type":"x#ValidationException","message":"m"}';
    const second = head(['HTTP/1.1 400 Bad Request', `content-length: ${error.length}`, 'Connection: close']) + error;
    expect(parser.push(Buffer.from(withLength))?.body.toString()).toBe(body);
    const r = parser.push(Buffer.from(second));
    expect(r).toMatchObject({ status: 400, closes: true });
    expect(r?.body.toString()).toBe(error);
  });

  it.each([1, 4, 1000])('joins a chunked body fed in pieces of %i bytes, trailers included', (piece) => {
    const chunked = head(['HTTP/1.1 200 OK', 'Transfer-Encoding: chunked']) + '5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nX-Trailer: t\r\n\r\n';
    const [response, ...rest] = feed(new HttpResponseParser(), chunked, piece);
    expect(rest).toEqual([]);
    expect(response.body.toString()).toBe('hello, world');
  });

  it('skips an interim 100 Continue response', () => {
    const text = head(['HTTP/1.1 100 Continue']) + withLength;
    expect(new HttpResponseParser().push(Buffer.from(text))?.status).toBe(200);
  });

  it('reads a body without length until the connection ends', () => {
    const parser = new HttpResponseParser();
    expect(parser.push(Buffer.from(head(['HTTP/1.0 200 OK']) + 'abc'))).toBeUndefined();
    expect(parser.push(Buffer.from('def'))).toBeUndefined();
    expect(parser.end()).toMatchObject({ status: 200, closes: true });
  });

  it('treats an empty 204 as complete and HTTP/1.0 as closing', () => {
    expect(new HttpResponseParser().push(Buffer.from(head(['HTTP/1.0 204 No Content'])))).toMatchObject({ status: 204, closes: true });
  });

  it.each([
    ['a bad status line', 'HTTP/2 200\r\n\r\n'],
    ['a bad Content-Length', head(['HTTP/1.1 200 OK', 'Content-Length: -4'])],
    ['a bad chunk size', head(['HTTP/1.1 200 OK', 'Transfer-Encoding: chunked']) + 'zz\r\n'],
    ['bytes after the response', withLength + 'HTTP'],
  ])('rejects %s', (_, text) => {
    expect(() => new HttpResponseParser().push(Buffer.from(text))).toThrow(expect.objectContaining({ code: 'HttpProtocolError' }));
  });
});
