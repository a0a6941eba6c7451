// The node's own CPU and memory, as the kubelet reports them for its root cgroup in the Summary API
// (`kubectl top nodes`): CPU time of everything on the machine, and the working set — memory in use
// less the inactive file cache the kernel can drop — from /proc, which every Linux has.
import * as fs from 'node:fs';

export interface HostUsage {
  cpuSeconds: number;
  memoryWorkingSetBytes: number;
}

/** USER_HZ: /proc/stat counts in 1/100 s on Linux whatever the kernel's HZ. */
const TICKS_PER_SECOND = 100;

/** Busy CPU seconds from /proc/stat's aggregate line: user, nice, system, irq, softirq, steal (not idle, iowait, or the guest times user already holds). */
export function busyCpuSeconds(procStat: string): number {
  const line = procStat.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) throw new Error('no aggregate cpu line in /proc/stat');
  const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  return [user, nice, system, irq, softirq, steal].reduce((s, v) => s + (Number.isFinite(v) ? v : 0), 0) / TICKS_PER_SECOND;
}

/** cadvisor's working set for the root: (MemTotal − MemFree) − Inactive(file), in bytes. */
export function workingSetBytes(procMeminfo: string): number {
  const kib = (key: string) => {
    const m = new RegExp(`^${key.replace(/[()]/g, '\\$&')}:\\s+(\\d+) kB$`, 'm').exec(procMeminfo);
    if (!m) throw new Error(`no ${key} in /proc/meminfo`);
    return Number(m[1]);
  };
  return Math.max(0, kib('MemTotal') - kib('MemFree') - kib('Inactive(file)')) * 1024;
}

export function readHostUsage(): HostUsage {
  return { cpuSeconds: busyCpuSeconds(fs.readFileSync('/proc/stat', 'utf8')), memoryWorkingSetBytes: workingSetBytes(fs.readFileSync('/proc/meminfo', 'utf8')) };
}
