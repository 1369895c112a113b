/**
 * A response body already serialised. Items come from storage as JSON text; an operation that
 * returns one unchanged wraps it here instead of parsing it only to stringify it again.
 */
export class RawJson {
  constructor(readonly body: Buffer) {}

  /** `{"<member>": <json>}`, or `{}` when there is no json. */
  static member(member: string, json: Buffer | undefined): RawJson {
    if (!json) return new RawJson(Buffer.from('{}'));
    return new RawJson(Buffer.concat([Buffer.from(`{${JSON.stringify(member)}:`), json, Buffer.from('}')]));
  }
}
