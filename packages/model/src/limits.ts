/**
 * DynamoDB's limits, in one place, named with units last. Values are DynamoDB's own (developer
 * guide, "Service, account, and table quotas"), because clients are written against them: a
 * request DynamoDB would reject must be rejected here too, and one it accepts must be accepted.
 */

const KIB = 1024;
const MIB = 1024 * KIB;
const GIB = 1024 * MIB;

/** An item (names plus values, see item-size.ts) may not exceed 400 KB; 409,600 is accepted. */
export const ITEM_SIZE_BYTES_MAX = 400 * KIB;

/** A partition key value is hashed whole; DynamoDB caps it at 2048 bytes. */
export const PARTITION_KEY_BYTES_MAX = 2048;

/** A sort key value lives in every storage and index key; DynamoDB caps it at 1024 bytes. */
export const SORT_KEY_BYTES_MAX = 1024;

/** Key values may not be empty strings or binaries (non-key attributes may be). */
export const KEY_VALUE_BYTES_MIN = 1;

/** BatchWriteItem takes at most 25 put or delete requests. */
export const BATCH_WRITE_ITEMS_MAX = 25;

/** BatchGetItem takes at most 100 keys across all tables. */
export const BATCH_GET_KEYS_MAX = 100;

/** A BatchWriteItem / BatchGetItem request (and BatchGetItem response) is capped at 16 MB. */
export const BATCH_REQUEST_BYTES_MAX = 16 * MIB;

/** Query and Scan stop a page once 1 MB of items has been read (before filtering). */
export const QUERY_PAGE_BYTES_MAX = 1 * MIB;

/** TransactWriteItems / TransactGetItems take at most 100 actions. */
export const TRANSACT_ACTIONS_MAX = 100;

/** A transaction's items may total at most 4 MB. */
export const TRANSACT_REQUEST_BYTES_MAX = 4 * MIB;

/** Global secondary indexes per table (DynamoDB's default quota). */
export const GSI_PER_TABLE_MAX = 20;

/** Local secondary indexes per table; fixed at creation, so never raised. */
export const LSI_PER_TABLE_MAX = 5;

/** With an LSI, all items sharing a partition key (an item collection) may total 10 GB. */
export const ITEM_COLLECTION_BYTES_MAX = 10 * GIB;

/** Any one expression string (condition, update, projection, filter, key condition): 4 KB. */
export const EXPRESSION_BYTES_MAX = 4 * KIB;

/** Numbers carry at most 38 significant decimal digits. */
export const NUMBER_PRECISION_DIGITS_MAX = 38;

/** Largest power of ten of a number's first significant digit: magnitudes < 1E+126. */
export const NUMBER_EXPONENT_MAX = 125;

/** Smallest power of ten of a number's first significant digit: magnitudes >= 1E-130. */
export const NUMBER_EXPONENT_MIN = -130;

/**
 * Nesting levels of a document, counting the attribute's own value as level 1: a value may sit
 * inside at most 31 maps or lists. Measured against AWS: 31 wrappers around a scalar are
 * accepted, 32 are rejected.
 */
export const NESTING_DEPTH_MAX = 32;

/** CreateTable accepts table (and index) names of 3 to 255 characters. */
export const TABLE_NAME_LENGTH_MIN = 3;
export const TABLE_NAME_LENGTH_MAX = 255;

/** Attribute names are 1 to 64 KB of UTF-8 (key attribute names, separately, at most 255). */
export const ATTRIBUTE_NAME_BYTES_MAX = 65535;

/** Names of key attributes and of projected attributes are capped at 255 bytes. */
export const KEY_ATTRIBUTE_NAME_BYTES_MAX = 255;

/** DynamoDB refuses HTTP request bodies over 16 MB before looking at them. */
export const REQUEST_BYTES_MAX = 16 * MIB;

/** One write capacity unit covers a write of up to 1 KB; larger items use one per started KB. */
export const WRITE_CAPACITY_UNIT_BYTES = 1 * KIB;

/** One read capacity unit covers a strongly consistent read of up to 4 KB. */
export const READ_CAPACITY_UNIT_BYTES = 4 * KIB;

/** Operands of one IN comparison in an expression. */
export const IN_OPERANDS_MAX = 100;
/** Operators and functions in one expression. */
export const EXPRESSION_OPERATORS_MAX = 300;

/**
 * Provisioned capacity units a CreateTable or UpdateTable may ask for (table or index): DynamoDB
 * answers "Given value ... is out of bounds" above this.
 */
export const PROVISIONED_CAPACITY_UNITS_MAX = 1_000_000_000_000;

/** Non-key attributes one INCLUDE projection may name (the API's list constraint). */
export const NON_KEY_ATTRIBUTES_PER_INDEX_MAX = 20;

/**
 * Non-key attributes projected into all of a table's secondary indexes together; the same name
 * in two indexes counts twice (developer guide, "Secondary indexes" quotas).
 */
export const PROJECTED_ATTRIBUTES_PER_TABLE_MAX = 100;

/** A global secondary index key may have up to 4 partition (HASH) and 4 sort (RANGE) attributes. */
export const GSI_KEY_ATTRIBUTES_PER_KEY_TYPE_MAX = 4;
