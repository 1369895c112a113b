export { PolicyAuthorizer, policyCaller, UNRESTRICTED_CALLER, type Caller, type PolicyPrincipal, type RequestOrigin } from './caller';
export { itemNames, itemRequest, keyValueText, pointReadSelect, resourceArn, resourceRequest, topLevelNames, type ArnScope, type ItemAccess } from './dynamodb-requests';
