// Network helpers of the end-to-end tests on real containerd: a TCP port that is free right now (for
// hostPorts and components' listeners), and a plain HTTP GET of a pod IP, a hostPort or the agent's endpoint.
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';

/** The kernel's range of ports for outgoing connections (never handed out below its start). */
function ephemeralRangeStart(): number {
  try {
    const start = Number(fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(start) && start > 2048 ? start : 32768;
  } catch {
    return 32768;
  }
}

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/**
 * A TCP port nothing listens on right now, below the kernel's ephemeral range: a port handed to a
 * component a moment later is then not taken meanwhile by an outgoing connection of some other process
 * (listen(0) would pick one from that very range).
 */
export async function freePort(): Promise<number> {
  const top = ephemeralRangeStart();
  const bottom = Math.min(10_000, top - 1000);
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = bottom + Math.floor(Math.random() * (top - bottom));
    if (await bindable(port)) return port;
  }
  throw new Error(`no free port found in ${bottom}-${top - 1}`);
}

/** GET http://host:port/path on a fresh connection; rejects on a connection error or after timeoutMs. */
export function httpGet(host: string, port: number, urlPath = '/', timeoutMs = 3000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host, port, path: urlPath, timeout: timeoutMs, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}
