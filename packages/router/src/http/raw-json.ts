/**
 * A response body already serialised. Items come from storage as JSON text; an operation that
 * returns one unchanged wraps it here instead of parsing it only to stringify it again.
 */
export class RawJson {
  constructor(readonly body: Buffer) {}

  /** `{"<member>": <json>}`, or `{}` when there is no json. */
  static member(member: string, json: Buffer | undefined): RawJson {
    if (!json) return new RawJson(Buffer.from('{}'));
    let prefix = memberPrefixes.get(member);
    if (!prefix) {
      prefix = Buffer.from(`{${JSON.stringify(member)}:`);
      memberPrefixes.set(member, prefix);
    }
    return new RawJson(Buffer.concat([prefix, json, CLOSE_BRACE], prefix.length + json.length + 1));
  }
}

/** `{"<member>":` for each member name used (a handful: Item, ...), built once. */
const memberPrefixes = new Map<string, Buffer>();
const CLOSE_BRACE = Buffer.from('}');
