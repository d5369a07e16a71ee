/**
 * The failover machine's thresholds, limits and ladders. Every field has a default sized so that a killed
 * `restart` or `checkpoint` VEE runs again within 30 s: checks every second, suspect confirmed after 2 failed
 * checks, the first recovery action at once, 1 s before a retry. `resolveFailoverSettings` overlays the
 * configured values and refuses inconsistent ones at boot, listing every bad field.
 */
import { PROTECTION_LEVELS, type ProtectionLevel } from '../../manifest/service-definition';
import { DomainError, type ErrorDetail } from '../../shared/domain-error';
import { DEFAULT_LADDERS, type FailoverLadders, RECOVERY_STEPS, type RecoveryStep } from './recovery-ladder';

export interface FailoverSettings {
  /** How often the application checks each protected VEE (the machine itself only counts checks). */
  checkIntervalMs: number;
  /** k: failed checks since the VEE was last healthy that confirm a suspicion and start recovery. */
  suspectAfterFailedChecks: number;
  /** m: consecutive good checks that clear a suspicion or end probation (hysteresis). */
  healthyAfterGoodChecks: number;
  /** Attempts of one ladder step before escalating to the next. */
  maxAttemptsPerStep: number;
  /** Wait after the n-th failed attempt of a chain: min(max, initial × multiplier^(n−1)). The first attempt never waits. */
  initialBackoffMs: number;
  maxBackoffMs: number;
  backoffMultiplier: number;
  /** An action without a result after this long has failed; its late result is ignored. */
  actionTimeoutMs: number;
  /**
   * A VEE healthy this long before failing again starts a fresh chain (first step, no back-off). One that
   * fails sooner continues its chain: the step that brought it back did not hold, so a flapping host climbs
   * the ladder (and is moved off) instead of being restarted in place forever.
   */
  forgetAfterHealthyMs: number;
  ladders: FailoverLadders;
}

export const DEFAULT_FAILOVER_SETTINGS: Readonly<FailoverSettings> = {
  checkIntervalMs: 1_000,
  suspectAfterFailedChecks: 2,
  healthyAfterGoodChecks: 3,
  maxAttemptsPerStep: 2,
  initialBackoffMs: 1_000,
  maxBackoffMs: 30_000,
  backoffMultiplier: 2,
  actionTimeoutMs: 120_000,
  forgetAfterHealthyMs: 600_000,
  ladders: DEFAULT_LADDERS,
};

/** Configured values; `ladders` may name only the levels it changes. */
export type FailoverSettingsInput = Partial<Omit<FailoverSettings, 'ladders'>> & {
  ladders?: Partial<Record<ProtectionLevel, readonly RecoveryStep[]>>;
};

type NumericKey = Exclude<keyof FailoverSettings, 'ladders'>;

/** The defaults overlaid with the fields that are set; throws `invalid-input` listing every bad field. */
export function resolveFailoverSettings(partial: FailoverSettingsInput = {}): FailoverSettings {
  const { ladders, ...numbers } = partial;
  const merged: Record<ProtectionLevel, readonly RecoveryStep[]> = { ...DEFAULT_LADDERS };
  for (const level of PROTECTION_LEVELS) merged[level] = ladders?.[level] ?? DEFAULT_LADDERS[level];
  const s: FailoverSettings = { ...DEFAULT_FAILOVER_SETTINGS, ladders: merged };
  for (const key of Object.keys(numbers) as NumericKey[]) {
    const value = numbers[key];
    if (value !== undefined) s[key] = value;
  }
  const problems: ErrorDetail[] = [];
  const need = (ok: boolean, path: NumericKey, message: string): void => {
    if (!ok) problems.push({ path, message: `${path} ${message} (got ${String(s[path])})` });
  };
  need(positive(s.checkIntervalMs), 'checkIntervalMs', 'must be a positive number of milliseconds');
  need(count(s.suspectAfterFailedChecks), 'suspectAfterFailedChecks', 'must be an integer ≥ 1');
  need(count(s.healthyAfterGoodChecks), 'healthyAfterGoodChecks', 'must be an integer ≥ 1');
  need(count(s.maxAttemptsPerStep), 'maxAttemptsPerStep', 'must be an integer ≥ 1');
  need(positive(s.initialBackoffMs), 'initialBackoffMs', 'must be a positive number of milliseconds');
  need(positive(s.maxBackoffMs) && s.maxBackoffMs >= s.initialBackoffMs, 'maxBackoffMs', 'must be ≥ initialBackoffMs');
  need(Number.isFinite(s.backoffMultiplier) && s.backoffMultiplier >= 1, 'backoffMultiplier', 'must be ≥ 1');
  need(positive(s.actionTimeoutMs), 'actionTimeoutMs', 'must be a positive number of milliseconds');
  need(positive(s.forgetAfterHealthyMs), 'forgetAfterHealthyMs', 'must be a positive number of milliseconds');
  for (const level of PROTECTION_LEVELS) problems.push(...ladderProblems(level, s.ladders[level]));
  if (problems.length > 0) {
    throw new DomainError('invalid-input', `invalid failover settings: ${problems.map((p) => p.message).join('; ')}`, problems);
  }
  return s;
}

/** The wait after the `failures`-th failed attempt of a chain (0 before any failure). */
export function backoffMs(s: FailoverSettings, failures: number): number {
  if (failures <= 0) return 0;
  return Math.min(s.maxBackoffMs, s.initialBackoffMs * s.backoffMultiplier ** (failures - 1));
}

/**
 * An upper bound on the recovery actions one VEE receives in any window of `windowMs`: a chain issues at most
 * its ladder's attempts, at least `initialBackoffMs` apart; chains are at least `forgetAfterHealthyMs` apart.
 */
export function maxActionsInWindow(s: FailoverSettings, protection: ProtectionLevel, windowMs: number): number {
  const perChain = Math.min(s.ladders[protection].length * s.maxAttemptsPerStep, Math.floor(windowMs / s.initialBackoffMs) + 1);
  return (Math.floor(windowMs / s.forgetAfterHealthyMs) + 1) * perChain;
}

function ladderProblems(level: ProtectionLevel, ladder: readonly RecoveryStep[]): ErrorDetail[] {
  const path = `ladders.${level}`;
  if (!Array.isArray(ladder)) return [{ path, message: `${path} must be a list of recovery steps` }];
  const unknown = ladder.filter((step) => !RECOVERY_STEPS.includes(step));
  if (unknown.length > 0) return [{ path, message: `${path} names unknown steps ${unknown.join(', ')} (known: ${RECOVERY_STEPS.join(', ')})` }];
  if (new Set(ladder).size !== ladder.length) return [{ path, message: `${path} repeats a step (use maxAttemptsPerStep instead)` }];
  return [];
}

function positive(x: number): boolean {
  return Number.isFinite(x) && x > 0;
}

function count(x: number): boolean {
  return Number.isInteger(x) && x >= 1;
}
