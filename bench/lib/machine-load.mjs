// How much of the machine other processes used while the bench ran. The load
// average cannot tell: it counts the bench's own threads, and it lags by a
// minute. On Linux, /proc/stat gives the whole machine's busy CPU time and
// process.cpuUsage() this process's (all its threads); the difference is
// everyone else's, plus the bench's Python child (a few seconds of CPU).
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';

const USER_HZ = 100;

function machineBusySeconds() {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const [user, nice, system, , , irq, softirq, steal] = fields;
    return (user + nice + system + irq + softirq + steal) / USER_HZ;
  } catch {
    return undefined;
  }
}

export function startLoadWatch() {
  const machine0 = machineBusySeconds();
  const own0 = process.cpuUsage();
  const t0 = performance.now();
  return () => {
    const machine1 = machineBusySeconds();
    if (machine0 === undefined || machine1 === undefined) return undefined;
    const own = process.cpuUsage(own0);
    const ownSeconds = (own.user + own.system) / 1e6;
    const capacity = ((performance.now() - t0) / 1000) * cpus().length;
    return Math.max(0, (machine1 - machine0 - ownSeconds) / capacity);
  };
}
