/** Readers of /proc (Linux) used by the benches: CPU time and peak memory of processes. */
import { readFileSync } from 'node:fs';

/** USER_HZ: 100 on every Linux build Node runs on. */
const CLOCK_TICKS = 100;

/** The fields of /proc/PID/stat from the 3rd on (the 2nd, the command name, may hold spaces). */
function statFields(pid: number | 'self'): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** CPU time (user + system, all threads) a process has used so far, in µs. */
export function cpuMicros(pid: number): number {
  const fields = statFields(pid);
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS;
}

/**
 * CPU time (user + system) of this process's children that have ended and been waited for, in µs
 * (cutime + cstime of /proc/self/stat). Node waits for a child before emitting its 'exit', so the
 * difference around one child's run is that child's whole CPU time, to its last tick.
 */
export function endedChildrenCpuMicros(): number {
  const fields = statFields('self');
  return ((Number(fields[13]) + Number(fields[14])) * 1e6) / CLOCK_TICKS;
}

/** Peak resident memory of a process, in MB. */
export function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}
