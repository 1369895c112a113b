/** DynamoDB rejects HTTP request bodies above 16 MB (the BatchWriteItem limit plus framing). */
export const REQUEST_BODY_BYTES_MAX = 16 * 1024 * 1024;
/** The protocol version prefix of X-Amz-Target for DynamoDB operations. */
export const TARGET_PREFIX = 'DynamoDB_20120810.';
export const JSON_CONTENT_TYPE = 'application/x-amz-json-1.0';
