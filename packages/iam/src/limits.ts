/** IAM's bound on an identity policy document, in characters without whitespace (a managed policy's). */
export const POLICY_DOCUMENT_CHARS_MAX = 6144;
/** Statements one document may hold: IAM has no separate count limit, the size bound applies; this guards parsing. */
export const POLICY_STATEMENTS_MAX = 100;
/** The only policy language versions IAM accepts. */
export const POLICY_VERSIONS = ['2012-10-17', '2008-10-17'] as const;
