import type { Logger } from '@triad/observability';
import { promClient } from '@triad/observability';
import type { Registry } from 'prom-client';
import type { MembershipAgent } from './membership-agent';

/** Logs every membership change as one line and exports member counts by status and role. */
export function observeMembership(agent: MembershipAgent, log: Logger, registry: Registry): void {
  const changes = new promClient.Counter({
    name: 'triad_membership_changes_total',
    help: 'Membership status changes seen by this process, by new status',
    labelNames: ['status'],
    registers: [registry],
  });
  new promClient.Gauge({
    name: 'triad_membership_members',
    help: 'Members known to this process, by status and role',
    labelNames: ['status', 'role'],
    registers: [registry],
    collect() {
      this.reset();
      for (const member of agent.members()) this.inc({ status: member.status, role: member.role });
    },
  });
  new promClient.Counter({
    name: 'triad_membership_incarnations_bounded_total',
    help: 'Gossip claims whose incarnation jumped further than a member can move it (INCARNATION_STEP_MAX) and was bounded: forged or corrupt gossip',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(agent.incarnationsBounded);
    },
  });
  agent.on('change', (member, previousStatus) => {
    if (previousStatus === member.status) return;
    changes.inc({ status: member.status });
    log.info('membership change', {
      member: member.id,
      memberZone: member.zone,
      memberRole: member.role,
      from: previousStatus ?? 'unknown',
      to: member.status,
      incarnation: member.incarnation,
    });
  });
}
