import { encodeKeyValue, prefixEnd, type Item, type KeySchema } from '@triad/model';
import { Ring, partitionOfKey, type ClusterLayout } from '@triad/ring';
import { StorageNodeClient, type GrpcSecurity } from '@triad/rpc';
import type { TableDefinition } from '../../packages/router/src/catalog/table-definition';

/** The catalog's table id inside the system partition: 8 zero bytes. */
const CATALOG_TABLE_ID = Buffer.alloc(8);
const CATALOG_END = Buffer.from([0, 0, 0, 0, 0, 0, 0, 1]);

/** A table as one storage node's copy of the catalog records it. */
export interface CatalogEntry {
  tableName: string;
  tableId: string;
  keySchema: KeySchema;
  /** The table's global secondary indexes: the hex id that prefixes each one's entries, and its key. */
  globalIndexes: { indexName: string; indexId: string; keySchema: KeySchema }[];
}

/** One item as a storage node holds it. */
export interface StoredItem {
  /** The storage key inside the partition (table id, encoded partition key, encoded sort key). */
  key: Buffer;
  item: Item;
}

/**
 * Looks inside storage nodes over gRPC, bypassing the router: which tables a node's copy of the
 * catalog holds and which items it stores per partition. This is how tests see each replica's own
 * state rather than what a router chooses to answer.
 */
export class ReplicaInspector {
  readonly ring: Ring;
  private readonly clients = new Map<string, StorageNodeClient>();

  constructor(
    readonly layout: ClusterLayout,
    /** The cluster's mutual TLS (LocalCluster.grpcSecurity). */
    private readonly security: GrpcSecurity,
    private readonly deadlineMs = 5_000,
  ) {
    this.ring = new Ring(layout);
  }

  private client(nodeId: string): StorageNodeClient {
    let client = this.clients.get(nodeId);
    if (!client) {
      const node = this.ring.node(nodeId);
      if (!node) throw new Error(`no storage node ${nodeId} in the layout`);
      client = new StorageNodeClient(node.address, this.deadlineMs, this.security);
      this.clients.set(nodeId, client);
    }
    return client;
  }

  /** Every table in this node's copy of the catalog (the system partition). */
  async catalog(nodeId: string): Promise<CatalogEntry[]> {
    const reply = await this.client(nodeId).readRange({
      ranges: [
        { partition: this.ring.systemPartition, start: CATALOG_TABLE_ID, startExclusive: false, end: CATALOG_END, endInclusive: false },
      ],
      reverse: false,
      limit: 0,
      byteLimit: 0,
      localOnly: true,
    });
    if (!reply.exhausted) throw new Error(`catalog read from ${nodeId} was not exhausted`);
    return reply.items.map((entry) => {
      const item = JSON.parse(entry.item.toString('utf8')) as { name: { S: string }; definition: { S: string } };
      const def = JSON.parse(item.definition.S) as TableDefinition;
      if (def.tableName !== item.name.S) throw new Error(`catalog entry ${item.name.S} on ${nodeId} defines ${def.tableName}`);
      const globalIndexes = (def.globalSecondaryIndexes ?? []).map((g) => ({ indexName: g.indexName, indexId: g.indexId, keySchema: g.keySchema }));
      return { tableName: def.tableName, tableId: def.tableId, keySchema: def.keySchema, globalIndexes };
    });
  }

  /** The table as this node's catalog has it, or undefined. */
  async table(nodeId: string, tableName: string): Promise<CatalogEntry | undefined> {
    return (await this.catalog(nodeId)).find((t) => t.tableName === tableName);
  }

  /**
   * The items of a table (by its hex id) that this node stores, per data partition; with an index's
   * id, the index's entries. Every partition
   * is read, not only those the node replicates, so that stray copies show up too.
   */
  async tableItems(nodeId: string, tableId: string): Promise<Map<number, StoredItem[]>> {
    const start = Buffer.from(tableId, 'hex');
    const end = prefixEnd(start);
    const partitions = Array.from({ length: this.ring.partitionCount }, (_, p) => p);
    const replies = await Promise.all(
      partitions.map((partition) =>
        this.client(nodeId).readRange({
          ranges: [{ partition, start, startExclusive: false, end, endInclusive: false }],
          reverse: false,
          limit: 0,
          byteLimit: 0,
          // This node's own copy, whether or not it holds the partition: strays show up too.
          localOnly: true,
        }),
      ),
    );
    const result = new Map<number, StoredItem[]>();
    replies.forEach((reply, partition) => {
      if (!reply.exhausted) throw new Error(`read of partition ${partition} on ${nodeId} was not exhausted`);
      for (const entry of reply.items) {
        if (entry.partition !== partition) throw new Error(`${nodeId} answered partition ${entry.partition} for ${partition}`);
      }
      result.set(
        partition,
        reply.items.map((entry) => ({ key: Buffer.from(entry.key), item: JSON.parse(entry.item.toString('utf8')) as Item })),
      );
    });
    return result;
  }

  close(): void {
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }
}

/** The data partition an item belongs to, computed from its partition key as the router does. */
export function partitionOfItem(partitionCount: number, keySchema: KeySchema, item: Item): number {
  const { name, type } = keySchema.partitionKey;
  const value = item[name];
  if (!value) throw new Error(`item lacks its partition key ${name}`);
  return partitionOfKey(encodeKeyValue(type, value), partitionCount);
}

/** A stable text form of an item's primary key, for maps and messages. */
export function keyText(keySchema: KeySchema, item: Item): string {
  const parts = [item[keySchema.partitionKey.name]];
  if (keySchema.sortKey) parts.push(item[keySchema.sortKey.name]);
  return JSON.stringify(parts);
}

export interface ReplicaReport {
  /** For every expected item (by keyText): the nodes that hold exactly that item, in its partition. */
  holders: Map<string, string[]>;
  /** The replica set of every expected item's partition (by keyText). */
  replicas: Map<string, string[]>;
  /**
   * What is wrong beyond missing copies: an item on a node that holds a different version, an item
   * in a partition other than its key's, an item on a node outside its partition's replica set, or
   * (unless allowed) an item that nobody expected.
   */
  problems: string[];
}

/**
 * Reads a table's items from every storage node directly and compares them with `expected`.
 * `allowUnexpected`: items the test did not expect (writes that were not acknowledged) are not problems.
 */
export async function inspectReplicas(
  inspector: ReplicaInspector,
  table: CatalogEntry,
  expected: readonly Item[],
  options: { allowUnexpected?: boolean } = {},
): Promise<ReplicaReport> {
  const { keySchema } = table;
  const partitionCount = inspector.ring.partitionCount;
  const wanted = new Map(expected.map((item) => [keyText(keySchema, item), item]));
  const holders = new Map<string, string[]>();
  const replicas = new Map<string, string[]>();
  for (const [key, item] of wanted) {
    holders.set(key, []);
    replicas.set(key, inspector.ring.replicaSet(partitionOfItem(partitionCount, keySchema, item)).map((n) => n.id));
  }
  const problems: string[] = [];
  // Each expected item's canonical text once, not once per copy (tests compare up to 100,000 items on four nodes).
  const wantedText = new Map<string, string>();
  for (const node of inspector.ring.nodes) {
    const byPartition = await inspector.tableItems(node.id, table.tableId);
    for (const [partition, stored] of byPartition) {
      const isReplica = inspector.ring.replicaSet(partition).some((n) => n.id === node.id);
      for (const { item } of stored) {
        const key = keyText(keySchema, item);
        const home = partitionOfItem(partitionCount, keySchema, item);
        if (home !== partition) problems.push(`${node.id} holds ${key} in partition ${partition}, but its key belongs to ${home}`);
        if (!isReplica) problems.push(`${node.id} holds ${key} in partition ${partition}, which it does not replicate`);
        const want = wanted.get(key);
        if (!want) {
          if (!options.allowUnexpected) problems.push(`${node.id} holds unexpected item ${key}: ${JSON.stringify(item)}`);
        } else if (JSON.stringify(sortKeys(item)) !== canonical(wantedText, key, want)) {
          problems.push(`${node.id} holds ${key} as ${JSON.stringify(item)}, expected ${JSON.stringify(want)}`);
        } else if (home === partition) {
          holders.get(key)!.push(node.id);
        }
      }
    }
  }
  return { holders, replicas, problems };
}

function canonical(cache: Map<string, string>, key: string, item: Item): string {
  let text = cache.get(key);
  if (text === undefined) cache.set(key, (text = JSON.stringify(sortKeys(item))));
  return text;
}

/** The same value with object keys in sorted order, so that JSON comparison ignores key order. */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]));
  }
  return value;
}

/** Describes, for the first few items, which replicas lack them (empty when every item has `needed` copies). */
export function missingCopies(report: ReplicaReport, needed: 'all' | number): string[] {
  const lines: string[] = [];
  for (const [key, nodes] of report.holders) {
    const replicaSet = report.replicas.get(key)!;
    const enough = needed === 'all' ? replicaSet.every((id) => nodes.includes(id)) : nodes.length >= needed;
    if (!enough) lines.push(`${key}: held by [${nodes.join(', ')}] of replicas [${replicaSet.join(', ')}]`);
  }
  return lines;
}
