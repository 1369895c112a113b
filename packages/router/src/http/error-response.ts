import { DynamoDbError } from '@triad/model';

/**
 * DynamoDB's error body: `__type` with the namespace, then the message. AWS spells the key
 * `Message` for coral's SerializationException and `message` elsewhere, and sends no message at
 * all for a body that is not JSON or an unknown operation.
 */
export function errorBody(error: DynamoDbError): Record<string, unknown> {
  const body: Record<string, unknown> = { __type: error.type };
  if (error.message) {
    if (error.name === 'SerializationException') body.Message = error.message;
    else body.message = error.message;
  }
  const item = (error as { item?: unknown }).item;
  if (item) body.Item = item;
  return body;
}
