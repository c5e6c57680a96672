/** One command of a lab's work, its output appended to a log file; resolves with its exit code. */
import { spawn } from 'child_process';
import * as fs from 'fs';
import { ROOT } from './state';

export function runLogged(
  cmd: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  logFile: string,
  timeoutS: number,
): Promise<number> {
  return new Promise((resolve) => {
    const out = fs.openSync(logFile, 'a');
    fs.writeSync(out, `\n$ ${cmd} ${args.join(' ')}   # ${new Date().toISOString()}\n`);
    // Own process group, so a timeout ends the command and everything it started.
    const child = spawn(cmd, [...args], { cwd: ROOT, env, detached: true, stdio: ['ignore', out, out] });
    const timer = setTimeout(() => {
      fs.writeSync(out, `\n# timed out after ${timeoutS}s; stopping pid ${child.pid}\n`);
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        /* gone */
      }
    }, timeoutS * 1000);
    child.on('error', (e) => {
      clearTimeout(timer);
      fs.writeSync(out, `cannot start ${cmd}: ${e.message}\n`);
      fs.closeSync(out);
      resolve(127);
    });
    child.on('close', (code, sig) => {
      clearTimeout(timer);
      fs.closeSync(out);
      resolve(code ?? (sig ? 128 + 15 : 1));
    });
  });
}
