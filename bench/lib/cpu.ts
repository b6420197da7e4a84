/**
 * CPU time by process over a measured window, from /proc: who pays for a rotation. PostgreSQL
 * forks a backend per connection; a backend that ends is reaped by the postmaster, whose
 * cutime/cstime then holds its CPU time, so the server's total is the postmaster's own and
 * reaped children's time plus the backends alive now.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stateDir } from '../../test/services/layout';

const TICK_MS = 1000 / 100; // USER_HZ is 100 on Linux

/** utime, stime, cutime, cstime and ppid of a process, or undefined when it is gone. */
function stat(pid: number): { self: number; children: number; ppid: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // fields after the command: state(0) ppid(1) … utime(11) stime(12) cutime(13) cstime(14)
    return { ppid: Number(f[1]), self: (Number(f[11]) + Number(f[12])) * TICK_MS, children: (Number(f[13]) + Number(f[14])) * TICK_MS };
  } catch {
    return undefined;
  }
}

function childrenOf(ppid: number): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number)
    .filter((pid) => stat(pid)?.ppid === ppid);
}

const recorded = (name: string): number | undefined => {
  const f = join(stateDir, `${name}.pid`);
  return existsSync(f) ? Number(readFileSync(f, 'utf8').trim()) : undefined;
};

/** Cumulative CPU ms of each measured party. */
export type CpuReading = Record<string, number>;

/** Reads the CPU time so far of the services, the worker and this process, and the whole machine. */
export function readCpu(workerPid?: number): CpuReading {
  const out: CpuReading = {};
  const temporal = recorded('temporal');
  const openbao = recorded('openbao');
  const postmaster = recorded('postgres');
  const whole = (pid: number | undefined) => {
    const s = pid === undefined ? undefined : stat(pid);
    return s ? s.self + s.children : 0;
  };
  out.temporalServer = whole(temporal);
  out.openbao = whole(openbao);
  out.postgres = whole(postmaster) + (postmaster === undefined ? 0 : childrenOf(postmaster).reduce((a, pid) => a + (stat(pid)?.self ?? 0), 0));
  if (workerPid !== undefined) out.worker = whole(workerPid);
  const me = process.cpuUsage();
  out.benchProcess = (me.user + me.system) / 1000;
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0].split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal: busy = all but idle and iowait
  out.machineBusy = (cpu.reduce((a, b) => a + b, 0) - cpu[3] - cpu[4]) * TICK_MS;
  return out;
}

/** CPU ms per unit of work between two readings; `other` is the machine's busy time nobody listed accounts for (other users' work). */
export function cpuPer(before: CpuReading, after: CpuReading, units: number): Record<string, number> {
  const out: Record<string, number> = {};
  let listed = 0;
  for (const k of Object.keys(after)) {
    if (k === 'machineBusy') continue;
    out[k] = (after[k] - (before[k] ?? 0)) / units;
    listed += out[k];
  }
  out.other = (after.machineBusy - before.machineBusy) / units - listed;
  return out;
}
