// ComponentStatus (v1, deprecated but still read by `kubectl get cs`): computed on every read and never
// stored, as kube's pkg/registry/core/componentstatus does — the scheduler and the controller manager
// are probed on their /healthz (healthy when it answers 200 with a body of "ok"), and etcd-0 is the
// apiserver's own storage (healthy when a read succeeds), answered as etcd answers /health.
import * as http from 'node:http';
import * as https from 'node:https';
import type { ComponentStatus } from 'kubernetes-types/core/v1';
import type { Storage } from '../storage/types';
import { bucketOf } from './keys';
import { Resources } from '../../lib/api/resources';

/** A component to probe: its name in the list and its health URL. */
export interface ComponentTarget {
  name: string;
  url: string;
}

/** kube's defaults: the scheduler's and the controller manager's health ports on loopback. */
export const defaultComponentTargets: ComponentTarget[] = [
  { name: 'scheduler', url: 'http://127.0.0.1:10251/healthz' },
  { name: 'controller-manager', url: 'http://127.0.0.1:10252/healthz' },
];

const probeTimeoutMs = 2000;

/** GET url: [status code, body], or throws the connection error. Certificates are not verified (as kube's probe). */
function httpGet(url: string): Promise<[number, string]> {
  return new Promise((resolve, reject) => {
    const mod = url.startsWith('https:') ? https : http;
    const req = mod.get(url, { timeout: probeTimeoutMs, rejectUnauthorized: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c.length < 4096 ? c : ''));
      res.on('end', () => resolve([res.statusCode ?? 0, body]));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`Get "${url}": context deadline exceeded`)));
    req.on('error', reject);
  });
}

function status(name: string, healthy: boolean, message: string, error: string): ComponentStatus {
  return {
    kind: 'ComponentStatus',
    apiVersion: 'v1',
    metadata: { name },
    conditions: [{ type: 'Healthy', status: healthy ? 'True' : 'False', message, ...(error ? { error } : {}) }],
  };
}

/** One component's status, as kube's HttpProber and ComponentStatus registry report it. */
export async function probeComponent(t: ComponentTarget): Promise<ComponentStatus> {
  try {
    const [code, body] = await httpGet(t.url);
    if (code >= 200 && code < 400 && body.trim() === 'ok') return status(t.name, true, 'ok', '');
    return status(t.name, false, '', `HTTP probe failed with statuscode: ${code}`);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ECONNREFUSED' ? `Get "${t.url}": dial tcp ${new URL(t.url).host}: connect: connection refused` : e.message;
    return status(t.name, false, '', why);
  }
}

/** Every component's status: the probes in order, then etcd-0 (the storage). */
export async function componentStatuses(targets: ComponentTarget[], storage: Storage): Promise<ComponentStatus[]> {
  const probed = await Promise.all(targets.map(probeComponent));
  let etcd: ComponentStatus;
  try {
    await storage.list(bucketOf(Resources.namespaces), { limit: 1 });
    etcd = status('etcd-0', true, '{"health":"true","reason":""}', '');
  } catch (err) {
    etcd = status('etcd-0', false, '', (err as Error).message);
  }
  return [...probed, etcd];
}
