// The scheduler's face: its start function and command, and (for bench/scheduler's algorithm-only
// mode) the framework pieces a scheduling cycle is made of.
export { startScheduler } from './start';
export type { SchedulerOptions, RunningScheduler, LeaderElectionOptions } from './start';
export { Scheduler } from './scheduler';
export type { SchedulerConfig } from './scheduler';
export { register as registerCommand } from './command';
export { SchedulerCache } from './cache';
export { FitError, Framework } from './framework/framework';
export { newPodInfo } from './framework/pod-info';
export { CycleState, noObjectListers } from './framework/types';
export type { ObjectListers } from './framework/types';
export { defaultProfile } from './profile';
