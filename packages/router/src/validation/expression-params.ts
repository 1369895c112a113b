import {
  ValidationException,
  createExpressionContext,
  validateAttributeValue,
  validateExpressionAttributeKeys,
  type AttributeValue,
  type ExpressionContext,
} from '@triad/model';

/**
 * DynamoDB's rules on expression parameters of a request: expression and legacy parameters are not
 * mixed, ExpressionAttributeNames/Values come only with expressions, their keys are well formed and
 * their values are valid attribute values. Returns the context to parse the expressions with.
 */
export function expressionContext(
  request: Record<string, unknown>,
  expressionParams: string[],
  legacyParams: string[],
): ExpressionContext {
  const used = expressionParams.filter((name) => request[name] !== undefined);
  if (used.length > 0) {
    const legacy = legacyParams.filter((name) => request[name] !== undefined);
    if (legacy.length > 0) {
      throw new ValidationException(
        `Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {${legacy.join(', ')}} Expression parameters: {${used.join(', ')}}`,
      );
    }
  }
  const names = request.ExpressionAttributeNames as Record<string, string> | undefined;
  const rawValues = request.ExpressionAttributeValues as Record<string, unknown> | undefined;
  if (names !== undefined && used.length === 0) {
    throw new ValidationException('ExpressionAttributeNames can only be specified when using expressions');
  }
  const valueExpressions = expressionParams.filter((name) => name !== 'ProjectionExpression');
  if (rawValues !== undefined && valueExpressions.length > 0 && valueExpressions.every((name) => request[name] === undefined)) {
    throw new ValidationException(
      `ExpressionAttributeValues can only be specified when using expressions: ${valueExpressions.join(' and ')} ${valueExpressions.length > 1 ? 'are' : 'is'} null`,
    );
  }
  validateExpressionAttributeKeys(names, rawValues as Record<string, AttributeValue> | undefined);
  let values: Record<string, AttributeValue> | undefined;
  if (rawValues !== undefined) {
    values = {};
    for (const [key, value] of Object.entries(rawValues)) {
      try {
        values[key] = validateAttributeValue(value);
      } catch (error) {
        if (error instanceof ValidationException) {
          throw new ValidationException(`ExpressionAttributeValues contains invalid value: ${error.message} for key ${key}`);
        }
        throw error;
      }
    }
  }
  return createExpressionContext(names, values);
}
