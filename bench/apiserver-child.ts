// Starts an in-memory apiserver in a child process for a benchmark, so the component being measured
// and the apiserver do not share one event loop (as in a real cluster).
import { ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';

export async function startApiServerChild(nodeArgs: string[] = [], options: Record<string, unknown> = {}): Promise<{ url: string; child: ChildProcess }> {
  const serverModule = path.join(__dirname, '..', 'apiserver', 'server.js');
  const script = `require(${JSON.stringify(serverModule)}).startApiServer({ ...${JSON.stringify(options)}, host: '127.0.0.1', port: 0 })
    .then((s) => console.log('URL ' + s.url)).catch((e) => { console.error(e); process.exit(1); });`;
  const child = spawn(process.execPath, [...nodeArgs, '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  return { url: await childUrl(child, 'apiserver'), child };
}

/** The URL a benchmark's child process prints as its `URL <url>` line once it serves. */
export function childUrl(child: ChildProcess, what: string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /URL (\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`${what} exited with ${code}`)));
  });
}
