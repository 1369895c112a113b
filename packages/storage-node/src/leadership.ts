/**
 * What the storage service asks of leadership. The election driver implements it; until a node
 * has elections running, `everyReplicaLeads` serves as the trivial answer.
 */
export interface Leadership {
  /** Whether this node may serve writes and strong reads of the partition now (leader, caught up, within its lease). */
  isServingLeader(partition: number): boolean;
  /** The node this one believes leads the partition, for redirecting a router. */
  leaderHint(partition: number): string | undefined;
  /** The partition's current term: the first part of every version this leader assigns. */
  termOf(partition: number): number;
  /** Whether a leader's record of `term`, sent by node `from`, may be applied (false once a newer term is known). */
  /** A write of this leader missed its majority: stop serving the partition until a repair with a peer. */
  reconfirm(partition: number): void;
  /** Resolves once every term and vote this node acts on is durable. */
  persisted(): Promise<void>;
  acceptsReplication(partition: number, term: number, from: string): boolean;
}
