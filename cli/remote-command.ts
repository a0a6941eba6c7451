// The client side of pods/exec, pods/attach and pods/portforward for steer's verbs: Kubernetes' WebSocket
// channel protocols (one byte of channel, then the payload: 0 stdin, 1 stdout, 2 stderr, 3 the final
// metav1.Status, 4 terminal size; v5 adds CLOSE, [255, channel]) on the `ws` package, with the client's
// credentials and TLS settings. The node agent terminates v5 itself and reaches the runtime over SPDY
// (containerd 1.6 speaks WebSocket v4 at most, with no CLOSE), so stdin's end reaches the process.
import WebSocket from 'ws';
import type { Status } from 'kubernetes-types/meta/v1';
import { ApiError, KubeClient } from '../lib/client/client';

export const CHANNEL_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];
const CLOSE = 255;

/** Opens a WebSocket to an API path with the client's credentials; a refusal becomes its ApiError. */
export async function openWebSocket(client: KubeClient, path: string, query: URLSearchParams, protocols: string[]): Promise<WebSocket> {
  const base = await client.connectionOptions();
  const url = new URL(client.server.toString().replace(/\/$/, '') + path);
  url.search = query.toString();
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  const ws = new WebSocket(url, protocols, {
    ca: base.ca,
    cert: base.cert,
    key: base.key,
    rejectUnauthorized: base.rejectUnauthorized,
    headers: base.headers as Record<string, string>,
    perMessageDeflate: false,
  });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const code = res.statusCode ?? 0;
        const text = Buffer.concat(chunks).toString('utf8');
        let status: Status = { kind: 'Status', status: 'Failure', code, message: text.trim() || `HTTP ${code}` };
        try {
          const parsed = JSON.parse(text) as Status;
          if (parsed.kind === 'Status') status = parsed;
        } catch {
          /* plain text */
        }
        reject(new ApiError(code, status));
      });
    });
    ws.once('error', reject);
  });
}

export interface RemoteCommandStreams {
  stdin?: NodeJS.ReadableStream;
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
  /** The terminal's size now, and a way to hear of changes (tty sessions). */
  terminalSize?: () => { width: number; height: number } | undefined;
  onResize?: (listener: () => void) => () => void;
}

/**
 * Runs an exec or attach session to its end: output to the streams, and the final Status (undefined when
 * the server closed without one).
 */
export async function runRemoteCommand(client: KubeClient, path: string, query: URLSearchParams, s: RemoteCommandStreams): Promise<Status | undefined> {
  const ws = await openWebSocket(client, path, query, CHANNEL_PROTOCOLS);
  const v5 = ws.protocol === 'v5.channel.k8s.io';
  let status: Status | undefined;
  const sendResize = () => {
    const size = s.terminalSize?.();
    if (size && ws.readyState === WebSocket.OPEN) ws.send(Buffer.concat([Buffer.from([4]), Buffer.from(JSON.stringify({ Width: size.width, Height: size.height }))]));
  };
  sendResize();
  const stopResize = s.onResize?.(sendResize);
  const onStdin = (chunk: Buffer | string) => {
    if (ws.readyState === WebSocket.OPEN) ws.send(Buffer.concat([Buffer.from([0]), Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk)]));
  };
  const onStdinEnd = () => {
    if (v5 && ws.readyState === WebSocket.OPEN) ws.send(Buffer.from([CLOSE, 0]));
  };
  s.stdin?.on('data', onStdin);
  s.stdin?.on('end', onStdinEnd);
  return new Promise((resolve, reject) => {
    ws.on('message', (data: Buffer) => {
      if (data.length === 0) return;
      const payload = data.subarray(1);
      switch (data[0]) {
        case 1:
          if (payload.length) s.stdout?.write(payload);
          break;
        case 2:
          if (payload.length) s.stderr?.write(payload);
          break;
        case 3:
          if (payload.length) status = JSON.parse(payload.toString('utf8')) as Status;
          break;
      }
    });
    ws.on('close', () => {
      stopResize?.();
      s.stdin?.off('data', onStdin);
      s.stdin?.off('end', onStdinEnd);
      resolve(status);
    });
    ws.on('error', (err) => {
      stopResize?.();
      reject(err);
    });
  });
}

/** The exit code a final Status carries: 0 on Success, the NonZeroExitCode cause, undefined for other failures. */
export function exitCodeOf(status: Status | undefined): number | undefined {
  if (!status || status.status === 'Success') return 0;
  if (status.reason === 'NonZeroExitCode') {
    const cause = status.details?.causes?.find((c) => c.reason === 'ExitCode');
    const n = Number(cause?.message);
    return Number.isInteger(n) ? n : undefined;
  }
  return undefined;
}

/**
 * One forwarded TCP connection over pods/portforward (WebSocket: channel 0 data, 1 errors, each starting
 * with the port as two little-endian bytes); the connection's bytes both ways until either side ends.
 */
export async function forwardConnection(client: KubeClient, path: string, port: number, socket: import('node:net').Socket, onError: (message: string) => void): Promise<void> {
  const ws = await openWebSocket(client, path, new URLSearchParams({ ports: String(port) }), ['v4.channel.k8s.io']);
  const seenPrefix = [false, false];
  ws.on('message', (data: Buffer) => {
    if (data.length === 0) return;
    const ch = data[0];
    let payload = data.subarray(1);
    if (ch > 1) return;
    if (!seenPrefix[ch]) {
      seenPrefix[ch] = true;
      payload = payload.subarray(2);
    }
    if (!payload.length) return;
    if (ch === 0) socket.write(payload);
    else onError(payload.toString('utf8'));
  });
  socket.on('data', (chunk: Buffer) => {
    if (ws.readyState === WebSocket.OPEN) ws.send(Buffer.concat([Buffer.from([0]), chunk]));
  });
  await new Promise<void>((resolve) => {
    const done = () => {
      socket.destroy();
      ws.terminate();
      resolve();
    };
    socket.on('close', done);
    socket.on('error', done);
    ws.on('close', () => {
      socket.end();
      resolve();
    });
    ws.on('error', done);
  });
}
