// A streamed GET (logs -f): the body is handed over chunk by chunk as it arrives, with the client's
// credentials and TLS settings. KubeClient.request buffers whole bodies, which a follow never ends.
import * as http from 'node:http';
import * as https from 'node:https';
import { ApiError, KubeClient } from '../lib/client/client';
import type { Status } from 'kubernetes-types/meta/v1';

export async function streamGet(
  client: KubeClient,
  path: string,
  query: Record<string, string | number | boolean | undefined>,
  onChunk: (chunk: Buffer) => void,
  signal?: AbortSignal,
  accept = 'application/json, */*',
): Promise<void> {
  const base = await client.connectionOptions();
  const url = new URL(client.server.toString().replace(/\/$/, '') + path);
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== false) url.searchParams.set(k, String(v));
  const mod = url.protocol === 'https:' ? https : http;
  await new Promise<void>((resolve, reject) => {
    const req = mod.request(
      { ...base, protocol: url.protocol, hostname: url.hostname, port: url.port, path: url.pathname + url.search, method: 'GET', headers: { ...(base.headers as Record<string, string>), Accept: accept } },
      (res) => {
        const code = res.statusCode || 0;
        if (code >= 400) {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let status: Status = { kind: 'Status', status: 'Failure', code, message: text || `HTTP ${code}` };
            try {
              const parsed = JSON.parse(text) as Status;
              if (parsed.kind === 'Status') status = parsed;
            } catch {
              /* plain text error */
            }
            reject(new ApiError(code, status));
          });
          return;
        }
        res.on('data', (c: Buffer) => onChunk(c));
        res.on('end', () => resolve());
        res.on('error', reject);
        res.on('close', () => resolve());
      },
    );
    req.on('error', reject);
    signal?.addEventListener('abort', () => {
      req.destroy();
      resolve();
    }, { once: true });
    req.end();
  });
}

/**
 * A watch whose events are asked for with a chosen Accept header (kubectl's Table one for `get -w`);
 * resolves when the server ends the stream or the signal aborts it.
 */
export async function watchLines<T>(
  client: KubeClient,
  path: string,
  query: Record<string, string | number | boolean | undefined>,
  accept: string,
  onEvent: (e: { type: string; object: T }) => void,
  signal?: AbortSignal,
): Promise<void> {
  let buffered = '';
  await streamGet(
    client,
    path,
    { ...query, watch: true },
    (chunk) => {
      buffered += chunk.toString('utf8');
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl).trim();
        buffered = buffered.slice(nl + 1);
        if (line) onEvent(JSON.parse(line) as { type: string; object: T });
      }
    },
    signal,
    accept,
  );
}
