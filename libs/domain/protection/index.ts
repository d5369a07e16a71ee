// Public API of protection: the per-VEE failover state machine (see failover/README.md). Pure.
export * from './failover';
export * from './checkpoints';
