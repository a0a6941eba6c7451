// One pod: where it runs, its containers (image, state, ready, restarts, probes), `steer why pending`'s
// answer when it is not running and ready, its events, and its logs (pods/log, with follow) — and
// delete. Everything is live from the watches; the log is a stream of its own.
import type { Container, Event, Node, Pod, Probe } from 'kubernetes-types/core/v1';
import { useEffect, useRef, useState } from 'preact/hooks';
import { explainPod } from '../../../lib/api/why-pending';
import { deletePodAction } from '../model/actions';
import { errorFrom } from '../model/api';
import { ageOf } from '../model/format';
import { objectPath } from '../model/kinds';
import { podStatusText } from '../model/topology';
import { Badge, ConfirmButton, KindStatusLine, Section, errorText, useRunner } from './common';
import { useConsole } from './context';
import { href, useKinds } from './hooks';
import { EventList, eventTime } from './workload-detail';

export function probeText(p: Probe | undefined): string {
  if (!p) return '—';
  const how = p.httpGet
    ? `GET :${p.httpGet.port}${p.httpGet.path ?? '/'}`
    : p.tcpSocket
      ? `TCP :${p.tcpSocket.port}`
      : p.exec
        ? `exec ${(p.exec.command ?? []).join(' ')}`
        : p.grpc
          ? `gRPC :${p.grpc.port}`
          : '?';
  return `${how} every ${p.periodSeconds ?? 10}s (delay ${p.initialDelaySeconds ?? 0}s, ${p.failureThreshold ?? 3} failures)`;
}

export function PodDetail(p: { namespace: string; name: string }) {
  const store = useKinds('pods', 'events', 'nodes');
  const runner = useRunner();
  const pod = store.get('pods', `${p.namespace}/${p.name}`) as Pod | undefined;
  if (!pod) {
    return (
      <div class="view" data-view="pod">
        <h1>pod/{p.name}</h1>
        <KindStatusLine kinds={['pods']} />
        {store.isSynced('pods') && <p>Pod {p.name} is not in namespace {p.namespace} (deleted?).</p>}
        <p>
          <a href={href('cluster')}>Back to the cluster</a>
        </p>
      </div>
    );
  }
  const events = store.listOf<Event>('events').filter((e) => e.involvedObject?.uid === pod.metadata?.uid || (e.involvedObject?.kind === 'Pod' && e.involvedObject.namespace === p.namespace && e.involvedObject.name === p.name)).sort((a, b) => eventTime(b) - eventTime(a));
  const node = pod.spec?.nodeName ? ((store.get('nodes', pod.spec.nodeName) as Node | undefined) ?? (store.isSynced('nodes') ? null : undefined)) : undefined;
  const ready = (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
  const findings = ready && !pod.metadata?.deletionTimestamp ? [] : explainPod(pod, events, node);
  const owner = (pod.metadata?.ownerReferences ?? []).find((o) => o.controller);
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  const containers: Array<Container & { init?: boolean }> = [...(pod.spec?.initContainers ?? []).map((c) => ({ ...c, init: true })), ...(pod.spec?.containers ?? [])];
  return (
    <div class="view" data-view="pod" data-pod={`${p.namespace}/${p.name}`}>
      <p class="crumbs">
        <a href={href('cluster')}>Cluster</a> / pods
      </p>
      <h1>
        {p.name} <span class="muted">{p.namespace}</span>
      </h1>
      <dl class="facts">
        <dt>Status</dt>
        <dd>
          {podStatusText(pod)} {ready ? <Badge tone="ok">Ready</Badge> : <Badge tone="warn">Not ready</Badge>}
        </dd>
        <dt>Node</dt>
        <dd>{pod.spec?.nodeName ?? '(not scheduled)'}</dd>
        <dt>Pod IP</dt>
        <dd>
          <code>{pod.status?.podIP ?? '—'}</code>
        </dd>
        <dt>Owner</dt>
        <dd>{owner ? `${owner.kind}/${owner.name}` : '—'}</dd>
        <dt>Age</dt>
        <dd>{ageOf(pod.metadata?.creationTimestamp)}</dd>
      </dl>
      <div class="actions">
        <ConfirmButton label="Delete pod" confirm={`Delete pod ${p.name}?`} disabled={runner.busy} onConfirm={() => void runner.run(`delete pod ${p.name}`, deletePodAction(p.namespace, p.name))} />
      </div>
      {findings.length > 0 && (
        <Section title="Why is it not running?">
          <ul class="why" data-why>
            {findings.map((f, i) => (
              <li key={i}>
                <Badge tone="warn">{f.area}</Badge> {f.summary}
                {f.details.length > 0 && (
                  <ul>
                    {f.details.map((d, j) => (
                      <li key={j}>{d}</li>
                    ))}
                  </ul>
                )}
                {f.hint && <p class="hint">hint: {f.hint}</p>}
              </li>
            ))}
          </ul>
        </Section>
      )}
      <Section title="Containers">
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Image</th>
                <th scope="col">State</th>
                <th scope="col">Ready</th>
                <th scope="col">Restarts</th>
                <th scope="col">Readiness probe</th>
                <th scope="col">Liveness probe</th>
              </tr>
            </thead>
            <tbody>
              {containers.map((c) => {
                const cs = statuses.find((s) => s.name === c.name);
                const st = cs?.state;
                const state = st?.running ? `running since ${ageOf(st.running.startedAt)}` : st?.waiting ? `waiting: ${st.waiting.reason ?? ''}` : st?.terminated ? `terminated: ${st.terminated.reason ?? ''} (exit ${st.terminated.exitCode})` : '—';
                return (
                  <tr key={c.name}>
                    <th scope="row">
                      {c.name}
                      {c.init ? ' (init)' : ''}
                    </th>
                    <td>
                      <code>{c.image}</code>
                    </td>
                    <td>{state}</td>
                    <td>{cs?.ready ? 'yes' : 'no'}</td>
                    <td>{cs?.restartCount ?? 0}</td>
                    <td>{probeText(c.readinessProbe)}</td>
                    <td>{probeText(c.livenessProbe)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      </Section>
      <Section title="Events">
        <EventList events={events} />
      </Section>
      <Logs namespace={p.namespace} name={p.name} containers={(pod.spec?.containers ?? []).map((c) => c.name)} bound={!!pod.spec?.nodeName} />
    </div>
  );
}

const MAX_LOG_CHARS = 512 * 1024;

function Logs(p: { namespace: string; name: string; containers: string[]; bound: boolean }) {
  const { api } = useConsole();
  const [container, setContainer] = useState(p.containers[0] ?? '');
  const [follow, setFollow] = useState(true);
  const [text, setText] = useState('');
  const [error, setError] = useState('');
  const pre = useRef<HTMLPreElement>(null);
  useEffect(() => {
    if (!p.bound || !container) return;
    const abort = new AbortController();
    setText('');
    setError('');
    (async () => {
      const res = await api.fetch({ path: objectPath('pods', p.namespace, p.name, 'log'), query: { container, tailLines: 500, follow: follow ? 'true' : undefined }, signal: abort.signal }, 'text/plain, */*');
      if (!res.ok || !res.body) throw errorFrom(res.status, await res.text());
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      let all = '';
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        all += decoder.decode(value, { stream: true });
        if (all.length > MAX_LOG_CHARS) all = all.slice(all.length - MAX_LOG_CHARS);
        setText(all);
      }
    })().catch((err: Error) => {
      if (!abort.signal.aborted) setError(errorText(err));
    });
    return () => abort.abort();
  }, [container, follow, p.bound, p.namespace, p.name]);
  useEffect(() => {
    if (follow && pre.current) pre.current.scrollTop = pre.current.scrollHeight;
  }, [text, follow]);
  return (
    <Section
      title="Logs"
      actions={
        <div class="inline-tools">
          {p.containers.length > 1 && (
            <label class="inline">
              Container{' '}
              <select value={container} onChange={(e) => setContainer((e.target as HTMLSelectElement).value)}>
                {p.containers.map((c) => (
                  <option key={c}>{c}</option>
                ))}
              </select>
            </label>
          )}
          <label class="inline">
            <input type="checkbox" checked={follow} onChange={(e) => setFollow((e.target as HTMLInputElement).checked)} /> Follow
          </label>
        </div>
      }
    >
      {!p.bound ? (
        <p class="muted">No logs: the pod is not on a node yet.</p>
      ) : error ? (
        <p class="error" role="alert">
          {error}
        </p>
      ) : (
        <pre class="logs" ref={pre} tabIndex={0} aria-label={`logs of ${container}`}>
          {text || '(no output yet)'}
        </pre>
      )}
    </Section>
  );
}
