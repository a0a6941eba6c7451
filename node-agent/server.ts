// The agent's endpoint (kubelet's port 10250): /containerLogs for the apiserver's pods/log proxy,
// /exec, /attach and /portForward for its exec/attach/portforward proxies (streaming.ts),
// /healthz, /metrics (Prometheus), /stats/summary, /stats/resource (all its nodes' summaries) and /pods. Served over HTTPS with the kubelet's
// authentication and authorization when given SecureServingOptions: the caller proves who it is with a
// client certificate of the cluster CA or a bearer token the apiserver vouches for (TokenReview), and the
// apiserver decides (SubjectAccessReview) on the node's `nodes/<subresource>` that the path maps to, as
// the kubelet maps it (/stats → nodes/stats, /metrics → nodes/metrics, /logs → nodes/log, everything
// else — container logs, exec, attach, port-forward, /pods, /healthz — nodes/proxy). Plain HTTP without
// any check only for the programmatic default (tests, hollow nodes). One server can front several agents
// (hollow nodes): pods are looked up in each in turn.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { Request, Response } from 'express';
import type { Status } from 'kubernetes-types/meta/v1';
import { metricsResponse } from '../lib/component/metrics';
import { serveUpgrades } from '../lib/component/upgrade';
import { createSecureServer, secureHandler, type ReviewAttributes, type ReviewUser, type SecureServingOptions } from '../lib/component/secure-serving';
import { podContainerNames } from '../lib/api/pod';
import type { NodeAgent } from './agent';
import { followLog, readLog } from './logs';
import { StreamingSessions, type StreamingLimits } from './streaming';

function sendStatus(res: Response, code: number, reason: string, message: string): void {
  const body: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
  res.status(code).type('application/json').send(JSON.stringify(body));
}

function boolParam(v: unknown): boolean {
  return v === 'true' || v === '1' || v === '';
}

function intParam(v: unknown, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`invalid ${name}: ${String(v)}`);
  return n;
}

export function agentApp(agents: () => NodeAgent[], limits?: StreamingLimits): express.Express {
  const app = express();
  app.disable('x-powered-by');

  // exec, attach, port-forward: upgrades (serveUpgrades below), GET (WebSocket) or POST (SPDY).
  const sessions = new StreamingSessions(agents, sendStatus, limits);
  app.all('/exec/:namespace/:pod/:container', sessions.handler('exec'));
  app.all('/exec/:namespace/:pod/:uid/:container', sessions.handler('exec'));
  app.all('/attach/:namespace/:pod/:container', sessions.handler('attach'));
  app.all('/attach/:namespace/:pod/:uid/:container', sessions.handler('attach'));
  app.all('/portForward/:namespace/:pod', sessions.handler('portforward'));
  app.all('/portForward/:namespace/:pod/:uid', sessions.handler('portforward'));

  app.get('/healthz', (_req, res) => {
    res.type('text/plain').send('ok');
  });

  app.get('/metrics', async (_req, res) => {
    const { contentType, body } = await metricsResponse('node-agent');
    res.type(contentType).send(body);
  });

  app.get('/pods', (_req, res) => {
    res.json({ kind: 'PodList', apiVersion: 'v1', metadata: {}, items: agents().flatMap((a) => a.listPods()) });
  });

  // The Summaries of this server's agents, with stats collected now where polling had stopped (or, with
  // maxAgeMs, where they are older than that: the metrics API's second scrape of a pair wants a new one).
  const freshSummaries = async (maxAgeMs?: number) => {
    const all = agents();
    await Promise.all(all.map((a) => a.freshContainerUsage(maxAgeMs).catch(() => undefined)));
    return all.map(summary);
  };

  app.get('/stats/summary', async (_req, res) => {
    res.json((await freshSummaries())[0] ?? {});
  });

  // steer's lighter resource endpoint for the apiserver's metrics API: the Summary of every node this
  // server answers for (one for a real agent, all of them for hollow nodes sharing one port).
  app.get('/stats/resource', async (req, res) => {
    let maxAgeMs: number | undefined;
    try {
      maxAgeMs = intParam((req.query as Record<string, unknown>).maxAgeMs, 'maxAgeMs');
    } catch (err) {
      return sendStatus(res, 400, 'BadRequest', (err as Error).message);
    }
    res.json({ items: await freshSummaries(maxAgeMs) });
  });

  app.get('/containerLogs/:namespace/:pod/:container', async (req: Request, res: Response) => {
    const { namespace, pod: podName, container } = req.params as Record<string, string>;
    const q = req.query as Record<string, string | undefined>;
    let tailLines: number | undefined;
    let limitBytes: number | undefined;
    let sinceMs: number | undefined;
    try {
      tailLines = intParam(q.tailLines, 'tailLines');
      limitBytes = intParam(q.limitBytes, 'limitBytes');
      const sinceSeconds = intParam(q.sinceSeconds, 'sinceSeconds');
      if (sinceSeconds !== undefined) sinceMs = Date.now() - sinceSeconds * 1000;
      if (q.sinceTime) {
        sinceMs = Date.parse(q.sinceTime);
        if (Number.isNaN(sinceMs)) throw new Error(`invalid sinceTime: ${q.sinceTime}`);
      }
    } catch (err) {
      return sendStatus(res, 400, 'BadRequest', (err as Error).message);
    }
    const agent = agents().find((a) => a.findPod(namespace, podName));
    const pod = agent?.findPod(namespace, podName);
    if (!agent || !pod) return sendStatus(res, 404, 'NotFound', `pods "${podName}" not found`);
    if (!podContainerNames(pod).includes(container)) {
      return sendStatus(res, 400, 'BadRequest', `container ${container} is not valid for pod ${podName}`);
    }
    const previous = boolParam(q.previous);
    const c = agent.containerFor(pod, container, previous);
    if (!c) {
      if (previous) return sendStatus(res, 400, 'BadRequest', `previous terminated container "${container}" in pod "${podName}" not found`);
      return sendStatus(res, 400, 'BadRequest', `container "${container}" in pod "${podName}" is waiting to start: ContainerCreating`);
    }
    const timestamps = boolParam(q.timestamps);
    let initial: { text: string; size: number };
    try {
      initial = readLog(c.logPath, { timestamps, tailLines, sinceMs, limitBytes });
    } catch (err) {
      return sendStatus(res, 500, 'InternalError', `failed to read log of container "${container}": ${(err as Error).message}`);
    }
    res.status(200).type('text/plain');
    const follow = boolParam(q.follow) && !previous;
    if (!follow) {
      res.send(initial.text);
      return;
    }
    res.flushHeaders();
    if (initial.text) res.write(initial.text);
    let closed = false;
    res.on('close', () => {
      closed = true;
    });
    const uid = pod.metadata?.uid || '';
    const remaining = limitBytes === undefined ? undefined : Math.max(0, limitBytes - Buffer.byteLength(initial.text));
    await followLog(c.logPath, initial.size, {
      timestamps,
      sinceMs,
      limitBytes: remaining,
      isRunning: () => agent.isContainerRunning(uid, c.id),
      write: (s) => res.write(s),
      closed: () => closed,
    });
    if (!closed) res.end();
  });

  app.use((_req: Request, res: Response) => sendStatus(res, 404, 'NotFound', 'the server could not find the requested resource'));
  return app;
}

function summary(a: NodeAgent) {
  const now = new Date().toISOString();
  const byPod = new Map<string, ReturnType<NodeAgent['containerUsage']>>();
  for (const u of a.containerUsage()) {
    const list = byPod.get(u.uid) || [];
    list.push(u);
    byPod.set(u.uid, list);
  }
  let nodeCpu = 0;
  let nodeMem = 0;
  const pods = [...byPod.entries()].map(([uid, list]) => {
    const cpu = list.reduce((s, u) => s + u.cpuSeconds, 0);
    const mem = list.reduce((s, u) => s + u.memoryBytes, 0);
    nodeCpu += cpu;
    nodeMem += mem;
    return {
      podRef: { name: list[0].pod, namespace: list[0].namespace, uid },
      containers: list.map((u) => ({
        name: u.container,
        cpu: { time: new Date(u.timestamp).toISOString(), usageCoreNanoSeconds: Math.round(u.cpuSeconds * 1e9) },
        memory: { time: new Date(u.timestamp).toISOString(), workingSetBytes: u.memoryBytes },
      })),
      cpu: { time: now, usageCoreNanoSeconds: Math.round(cpu * 1e9) },
      memory: { time: now, workingSetBytes: mem },
    };
  });
  // The machine's own figures when the agent has them (the kubelet's root cgroup), else the pods' sum.
  const host = a.nodeUsage();
  if (host) {
    nodeCpu = host.cpuSeconds;
    nodeMem = host.memoryWorkingSetBytes;
  }
  return {
    node: {
      nodeName: a.nodeName,
      cpu: { time: now, usageCoreNanoSeconds: Math.round(nodeCpu * 1e9) },
      memory: { time: now, workingSetBytes: nodeMem },
    },
    pods,
  };
}

export interface RunningAgentServer {
  port: number;
  url: string;
  close(): Promise<void>;
}

/** kubelet's isSubpath: the path is the prefix itself or below it. */
function isSubpath(path: string, prefix: string): boolean {
  const p = prefix.replace(/\/$/, '');
  return path === p || path.startsWith(`${p}/`);
}

const apiVerbs: Record<string, string> = { POST: 'create', GET: 'get', HEAD: 'get', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };

/** The kubelet's authorization attributes of a request to node `nodeName` (pkg/kubelet/server/auth.go). */
export function kubeletRequestAttributes(nodeName: string, method: string, path: string): ReviewAttributes {
  let subresource = 'proxy';
  if (isSubpath(path, '/stats/')) subresource = 'stats';
  else if (isSubpath(path, '/metrics')) subresource = 'metrics';
  else if (isSubpath(path, '/logs/')) subresource = 'log';
  else if (isSubpath(path, '/spec/')) subresource = 'spec';
  else if (isSubpath(path, '/checkpoint/')) subresource = 'checkpoint';
  return { resourceAttributes: { verb: apiVerbs[method] ?? method.toLowerCase(), group: '', version: 'v1', resource: 'nodes', subresource, name: nodeName } };
}

/** The kubelet's 403 message: `Forbidden (user=alice, verb=get, resource=nodes, subresource=proxy)`. */
export function kubeletForbiddenMessage(user: ReviewUser, a: ReviewAttributes): string {
  const r = 'resourceAttributes' in a ? a.resourceAttributes : { verb: a.nonResourceAttributes.verb, resource: '', subresource: '' };
  return `Forbidden (user=${user.username}, verb=${r.verb}, resource=${r.resource}, subresource=${r.subresource ?? ''})`;
}

/**
 * Secure serving for one node's agent: the kubelet's attributes and message (secure-serving.ts does the
 * rest); anonymous requests are refused unless `anonymous` says otherwise (kubeadm's kubelets run with
 * --anonymous-auth=false).
 */
export function agentServing(nodeName: string, o: SecureServingOptions): SecureServingOptions {
  return {
    anonymous: false,
    ...o,
    attributes: (req, path) => kubeletRequestAttributes(nodeName, req.method ?? 'GET', path),
    forbiddenMessage: (user, attrs) => kubeletForbiddenMessage(user, attrs),
  };
}

export function startAgentServer(agents: () => NodeAgent[], host: string, port: number, secure?: SecureServingOptions, limits?: StreamingLimits): Promise<RunningAgentServer> {
  const app = agentApp(agents, limits);
  const server = secure ? createSecureServer(app, secure) : http.createServer(app);
  // Upgrades go through the same authentication and authorization as every other request.
  const upgraded = serveUpgrades(server, secure ? secureHandler(app, secure) : app);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const p = (server.address() as AddressInfo).port;
      resolve({
        port: p,
        url: `${secure ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${p}`,
        close: () =>
          new Promise<void>((r) => {
            server.closeAllConnections();
            // Streaming sessions too: a server stopping ends them (their clients see the connection close).
            upgraded.closeAll();
            server.close(() => r());
          }),
      });
    });
  });
}
