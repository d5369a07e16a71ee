/**
 * Monitoring rules: a tier's `<checkpoint-on event=...>` asks for a checkpoint of each of its VEEs when the VEE's
 * host reports that event (`POST /v1/hosts/:id/events`). Pure: which VEEs of a host an event concerns, and which
 * of those are still inside their debounce window (at most one checkpoint per VEE and rule per window, so an
 * event storm does not become a checkpoint storm). `now` and the last firings are inputs.
 */
import { HOST_EVENT_TYPES, type HostEventType, type ProtectionLevel } from '../manifest/service-definition';
import { type CheckpointTrigger } from './checkpoints/checkpoint-record';

export { HOST_EVENT_TYPES, type HostEventType };

/** True for an event type the rules can name. */
export function isHostEventType(value: unknown): value is HostEventType {
  return typeof value === 'string' && (HOST_EVENT_TYPES as readonly string[]).includes(value);
}

/** The checkpoint trigger of a rule: `monitoring-rule:<event>`. */
export function ruleTrigger(event: HostEventType): CheckpointTrigger {
  return `monitoring-rule:${event}`;
}

/** A VEE on the host the event came from, with what its tier declares. */
export interface RuleCandidate {
  veeId: string;
  /** Only `active` VEEs in phase `running` can be checkpointed. */
  role: string;
  phase: string;
  protection: ProtectionLevel;
  /** The tier's `checkpointOn` (absent: no rule). */
  checkpointOn?: readonly HostEventType[];
}

/** What to do for one VEE the event concerns. */
export type RuleDecision =
  | { veeId: string; outcome: 'checkpoint'; trigger: CheckpointTrigger }
  /** A checkpoint for this rule fired less than the window ago; the next one is allowed from `nextAllowedAt`. */
  | { veeId: string; outcome: 'debounced'; trigger: CheckpointTrigger; nextAllowedAt: Date }
  /** The VEE's tier has the rule but the VEE cannot be checkpointed now (a standby copy, or not running). */
  | { veeId: string; outcome: 'skipped'; trigger: CheckpointTrigger; reason: string };

export interface RuleInput {
  event: HostEventType;
  candidates: readonly RuleCandidate[];
  /** When a checkpoint for this (VEE, event) rule last fired, if it did. */
  lastFired: (veeId: string, event: HostEventType) => Date | undefined;
  now: Date;
  /** The debounce window per VEE and rule; 0 disables debouncing. */
  debounceMs: number;
}

/** Protection levels whose tiers keep checkpoints, and so may declare rules (the manifest checks it too). */
const CHECKPOINTED: ReadonlySet<ProtectionLevel> = new Set<ProtectionLevel>(['checkpoint', 'live-standby']);

/**
 * One decision per candidate whose tier declares a rule for the event (others are left out), in input order:
 * a standby copy is skipped, then a rule inside its window is debounced, then a VEE not running is skipped.
 * A rule on a tier that does not keep checkpoints (a definition older than the manifest rule) is ignored.
 */
export function decideRuleCheckpoints(input: RuleInput): RuleDecision[] {
  const trigger = ruleTrigger(input.event);
  const decisions: RuleDecision[] = [];
  for (const c of input.candidates) {
    if (!CHECKPOINTED.has(c.protection) || !(c.checkpointOn ?? []).includes(input.event)) continue;
    if (c.role !== 'active') {
      decisions.push({ veeId: c.veeId, outcome: 'skipped', trigger, reason: `a ${c.role} copy is not checkpointed` });
      continue;
    }
    const last = input.lastFired(c.veeId, input.event);
    const nextAllowed = last === undefined ? undefined : last.getTime() + input.debounceMs;
    if (nextAllowed !== undefined && input.debounceMs > 0 && input.now.getTime() < nextAllowed) {
      decisions.push({ veeId: c.veeId, outcome: 'debounced', trigger, nextAllowedAt: new Date(nextAllowed) });
    } else if (c.phase !== 'running') {
      decisions.push({ veeId: c.veeId, outcome: 'skipped', trigger, reason: `the VEE is ${c.phase}` });
    } else {
      decisions.push({ veeId: c.veeId, outcome: 'checkpoint', trigger });
    }
  }
  return decisions;
}
