// Runs a helper process (Python's pools, the floor reference, a measuring child) and hands back its
// stdout; each stderr line goes to the progress line, and a failure says which command and why.
import { spawn } from 'node:child_process';

export function runProcess(command, args, onLine) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => {
      err += d;
      for (const line of String(d).split('\n')) if (line.trim()) onLine(line.trim());
    });
    child.on('error', (e) => reject(new Error(e.code === 'ENOENT' ? `${command} is not installed` : e.message)));
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${command} exited with ${code}: ${err.slice(-300)}`))));
  });
}
