export { runDaemon, startDaemon, type DaemonOptions, type Ports, type RunningDaemon } from './daemon.ts';
