/**
 * The failure detector's timings. Every field has a default (the issue's: a beat per second, suspect after 3
 * missed beats, dead after 10 s of silence, alive again after 3 good beats); the application passes the
 * federation config's values through `resolveLivenessSettings`, which refuses inconsistent timings at boot.
 */
import { DomainError, type ErrorDetail } from '../../shared/domain-error';

export interface LivenessSettings {
  /** How often every site broadcasts a heartbeat. */
  heartbeatIntervalMs: number;
  /** Suspect once this many whole intervals pass without a beat (silence ≥ k × interval). */
  suspectAfterMissed: number;
  /** Dead once the silence reaches this; must exceed the suspect threshold. */
  deadAfterMs: number;
  /** A suspect or dead site is alive again only after this many good beats in a row (m). */
  aliveAfterGoodBeats: number;
  /**
   * A beat is good when the gap since the previous accepted beat lies in
   * [interval × goodGapMin, interval × goodGapMax]: late beats break the run, a burst of beats delivered at
   * once (a backlog after a partition heals) is not a run at all.
   */
  goodGapMin: number;
  goodGapMax: number;
}

export const DEFAULT_LIVENESS_SETTINGS: Readonly<LivenessSettings> = {
  heartbeatIntervalMs: 1_000,
  suspectAfterMissed: 3,
  deadAfterMs: 10_000,
  aliveAfterGoodBeats: 3,
  goodGapMin: 0.5,
  goodGapMax: 1.5,
};

/** The defaults overlaid with the fields that are set; throws `invalid-input` listing every bad field. */
export function resolveLivenessSettings(partial: Partial<LivenessSettings> = {}): LivenessSettings {
  const s: LivenessSettings = { ...DEFAULT_LIVENESS_SETTINGS };
  for (const key of Object.keys(partial) as (keyof LivenessSettings)[]) {
    const value = partial[key];
    if (value !== undefined) s[key] = value;
  }
  const problems: ErrorDetail[] = [];
  const need = (ok: boolean, path: keyof LivenessSettings, message: string): void => {
    if (!ok) problems.push({ path, message: `${path} ${message} (got ${String(s[path])})` });
  };
  need(positive(s.heartbeatIntervalMs), 'heartbeatIntervalMs', 'must be a positive number of milliseconds');
  need(Number.isInteger(s.suspectAfterMissed) && s.suspectAfterMissed >= 1, 'suspectAfterMissed', 'must be an integer ≥ 1');
  need(Number.isInteger(s.aliveAfterGoodBeats) && s.aliveAfterGoodBeats >= 1, 'aliveAfterGoodBeats', 'must be an integer ≥ 1');
  need(positive(s.goodGapMin), 'goodGapMin', 'must be a positive factor');
  need(positive(s.goodGapMax) && s.goodGapMax >= 1 && s.goodGapMax >= s.goodGapMin, 'goodGapMax', 'must be ≥ 1 and ≥ goodGapMin');
  need(
    positive(s.deadAfterMs) && s.deadAfterMs > s.heartbeatIntervalMs * s.suspectAfterMissed,
    'deadAfterMs',
    'must exceed heartbeatIntervalMs × suspectAfterMissed',
  );
  if (problems.length > 0) {
    throw new DomainError('invalid-input', `invalid liveness settings: ${problems.map((p) => p.message).join('; ')}`, problems);
  }
  return s;
}

/** Silence after which an alive site becomes suspect. */
export function suspectAfterMs(s: LivenessSettings): number {
  return s.heartbeatIntervalMs * s.suspectAfterMissed;
}

function positive(x: number): boolean {
  return Number.isFinite(x) && x > 0;
}
