/**
 * DynamoDB errors: one class per AWS error type, named as AWS names it, carrying the namespace
 * DynamoDB puts in `__type` and the HTTP status. Handlers throw these; only the router's HTTP
 * layer turns them into a response.
 */
const DYNAMODB_NAMESPACE = 'com.amazonaws.dynamodb.v20120810';
const CORAL_SERVICE_NAMESPACE = 'com.amazon.coral.service';
const CORAL_VALIDATE_NAMESPACE = 'com.amazon.coral.validate';

export abstract class DynamoDbError extends Error {
  abstract readonly namespace: string;
  readonly statusCode: number = 400;
  /** Whether a client may retry the same request (the SDKs decide by type, this is for our logs). */
  readonly retriable: boolean = false;

  constructor(message: string) {
    super(message);
  }

  /** The `__type` field of the error body. */
  get type(): string {
    return `${this.namespace}#${this.name}`;
  }
}

export class ValidationException extends DynamoDbError {
  override readonly name = 'ValidationException';
  readonly namespace = CORAL_VALIDATE_NAMESPACE;
}

export class SerializationException extends DynamoDbError {
  override readonly name = 'SerializationException';
  readonly namespace = CORAL_SERVICE_NAMESPACE;
}

export class UnknownOperationException extends DynamoDbError {
  override readonly name = 'UnknownOperationException';
  readonly namespace = CORAL_SERVICE_NAMESPACE;
}

export class MissingAuthenticationTokenException extends DynamoDbError {
  override readonly name = 'MissingAuthenticationTokenException';
  readonly namespace = CORAL_SERVICE_NAMESPACE;
}

/** The request's access key is not one the cluster knows (or is disabled). HTTP 400, as DynamoDB sends it. */
export class UnrecognizedClientException extends DynamoDbError {
  override readonly name = 'UnrecognizedClientException';
  readonly namespace = CORAL_SERVICE_NAMESPACE;
  constructor(message = 'The security token included in the request is invalid.') {
    super(message);
  }
}

/** The SigV4 signature does not match, or was made outside the 5-minute window. HTTP 400. */
export class InvalidSignatureException extends DynamoDbError {
  override readonly name = 'InvalidSignatureException';
  readonly namespace = CORAL_SERVICE_NAMESPACE;
}

/** The Authorization header (or presigned query) is malformed or lacks a part. HTTP 400. */
export class IncompleteSignatureException extends DynamoDbError {
  override readonly name = 'IncompleteSignatureException';
  readonly namespace = CORAL_SERVICE_NAMESPACE;
}

/** A request its credentials' policies do not allow (IAM's decision; the message names principal, action and resource). */
export class AccessDeniedException extends DynamoDbError {
  override readonly name = 'AccessDeniedException';
  readonly namespace = CORAL_SERVICE_NAMESPACE;
}

export class ResourceNotFoundException extends DynamoDbError {
  override readonly name = 'ResourceNotFoundException';
  readonly namespace = DYNAMODB_NAMESPACE;
}

export class ResourceInUseException extends DynamoDbError {
  override readonly name = 'ResourceInUseException';
  readonly namespace = DYNAMODB_NAMESPACE;
}

export class LimitExceededException extends DynamoDbError {
  override readonly name = 'LimitExceededException';
  readonly namespace = DYNAMODB_NAMESPACE;
}

export class ConditionalCheckFailedException extends DynamoDbError {
  override readonly name = 'ConditionalCheckFailedException';
  readonly namespace = DYNAMODB_NAMESPACE;
  constructor(
    message = 'The conditional request failed',
    /** Set when ReturnValuesOnConditionCheckFailure is ALL_OLD. */
    readonly item?: Record<string, unknown>,
  ) {
    super(message);
  }
}

export class ItemCollectionSizeLimitExceededException extends DynamoDbError {
  override readonly name = 'ItemCollectionSizeLimitExceededException';
  readonly namespace = DYNAMODB_NAMESPACE;
}

export class ProvisionedThroughputExceededException extends DynamoDbError {
  override readonly name = 'ProvisionedThroughputExceededException';
  readonly namespace = DYNAMODB_NAMESPACE;
  override readonly retriable = true;
}

/**
 * Too many requests for one key or partition at once: refused before anything was applied, so a
 * retry is always safe (the SDKs retry it with back-off). HTTP 400, as DynamoDB sends it.
 */
export class ThrottlingException extends DynamoDbError {
  override readonly name = 'ThrottlingException';
  readonly namespace = 'com.amazon.coral.availability';
  override readonly retriable = true;
  constructor(
    message = 'Throughput exceeds the current capacity of your table or index. DynamoDB is automatically scaling your table or index so please try again shortly. If exceptions persist, check if you have a hot key: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-partition-key-design.html',
  ) {
    super(message);
  }
}

/** A fault inside the cluster: retriable, HTTP 500 as DynamoDB sends it. */
export class InternalServerError extends DynamoDbError {
  override readonly name = 'InternalServerError';
  readonly namespace = DYNAMODB_NAMESPACE;
  override readonly statusCode = 500;
  override readonly retriable = true;
}

/** A partition without a reachable majority: retriable, HTTP 503 as DynamoDB sends it. */
export class ServiceUnavailableException extends DynamoDbError {
  override readonly name = 'ServiceUnavailable';
  readonly namespace = CORAL_SERVICE_NAMESPACE;
  override readonly statusCode = 503;
  override readonly retriable = true;
}

const ERROR_CLASSES: Record<string, new (message: string) => DynamoDbError> = {
  ValidationException,
  SerializationException,
  UnknownOperationException,
  MissingAuthenticationTokenException,
  UnrecognizedClientException,
  InvalidSignatureException,
  IncompleteSignatureException,
  AccessDeniedException,
  ResourceNotFoundException,
  ResourceInUseException,
  LimitExceededException,
  ConditionalCheckFailedException,
  ItemCollectionSizeLimitExceededException,
  ProvisionedThroughputExceededException,
  ThrottlingException,
  InternalServerError,
  ServiceUnavailable: ServiceUnavailableException,
};

/** Rebuilds an error that crossed a process boundary as (name, message). */
export function dynamoDbErrorFromName(name: string, message: string): DynamoDbError {
  const ErrorClass = ERROR_CLASSES[name] ?? InternalServerError;
  return new ErrorClass(message);
}
