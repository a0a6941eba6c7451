// The controller manager's face: its start function and command.
export { startControllers, allControllerNames } from './manager';
export type { ControllerManagerOptions, ControllerName, RunningControllers } from './manager';
export { register as registerCommand } from './command';
