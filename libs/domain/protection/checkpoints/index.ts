// Public API of protection/checkpoints: consistent group cuts, rollback scope and the cut to roll back to,
// retention, achieved RPO and digest checks. Pure; see README.md.
export {
  isCheckpointTrigger,
  type CheckpointLocation, type CheckpointRecord, type CheckpointTrigger, type GroupCutRecord, type GroupMember,
} from './checkpoint-record';
export { bundleDigest, bundleDigestText, bundleProblems, type BundleDigest, type BundleFile, type Sha256Hex } from './bundle-digest';
export { dependencyLevels, linkedTierGroups } from './dependency-graph';
export { canRestore, isSha256Hex, restoreVerdict, validateCheckpointRecord, type RestoreVerdict } from './digest';
export {
  nextEpoch, planCut, settleCut,
  type CutAction, type CutInput, type CutOrder, type CutOutcome, type CutPart, type CutPlan, type CutStep, type MemberFailure, type MemberResult, type SnapshotResult,
} from './group-cut';
export { planRetention, type KeepReason, type RetentionItem, type RetentionPlan } from './retention';
export {
  membersInScope, newestCommonCut, rollbackScope,
  type CommonCut, type RollbackInput, type RollbackScope, type SkippedCut, type UnclearReason,
} from './rollback-scope';
export { DEFAULT_RPO_TOLERANCE, rpoReport, type CheckpointTiming, type RpoInput, type RpoReport, type Sustainable } from './rpo';
