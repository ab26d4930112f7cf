export { ReplicationService, ReplicationError, type RuleView, type RunResult, type RunOptions, type EngineOptions, type ReplicationDeps } from './replication-service.js';
export { ReplicationScheduler } from './scheduler.js';
export { formatPlan, type Plan, type PlanItem, type PlanDeletion } from './planner.js';
