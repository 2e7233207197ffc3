export { runDaemon, startDaemon, type DaemonOptions, type RunningDaemon } from './daemon.ts';
