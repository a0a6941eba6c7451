// One workload: desired vs observed now, its convergence timeline (kept in the browser from watch
// events since the console opened: each change of desire, each observed step, Δ reaching 0), its pods,
// its rollout revisions (Deployments) and its events.
import type { Event, Pod } from 'kubernetes-types/core/v1';
import { useMemo } from 'preact/hooks';
import { deploymentRevisions } from '../model/actions';
import { keyOf } from '../model/api';
import { ageOf, clockText } from '../model/format';
import { KindName, WorkloadKind } from '../model/kinds';
import { podReadyText, podRestarts, podsSelected, podStatusText } from '../model/topology';
import { revisionOf, workloadState } from '../model/workloads';
import { KindStatusLine, Section } from './common';
import { useConsole } from './context';
import { href, useKinds } from './hooks';
import { WorkloadActions } from './workload-actions';
import { DeltaBadge } from './workloads-view';

export function WorkloadDetail(p: { kind: WorkloadKind; namespace: string; name: string }) {
  const extra: KindName[] = p.kind === 'deployments' ? ['replicasets'] : [];
  const store = useKinds(p.kind, 'pods', 'events', ...extra);
  const { timelines } = useConsole();
  const key = `${p.namespace}/${p.name}`;
  const obj = store.get(p.kind, key);
  const podsV = store.version('pods');
  const pods = useMemo(
    () => (obj ? podsSelected(store.list('pods'), p.namespace, (obj as { spec?: { selector?: Parameters<typeof podsSelected>[2] } }).spec?.selector) : []),
    [obj, podsV],
  );
  const entries = timelines.entries(p.kind, key);
  const events = store.listOf<Event>('events')
    .filter((e) => e.involvedObject?.namespace === p.namespace && (e.involvedObject?.name === p.name || (e.involvedObject?.name ?? '').startsWith(`${p.name}-`)))
    .sort((a, b) => eventTime(b) - eventTime(a))
    .slice(0, 50);
  if (!obj) {
    return (
      <div class="view">
        <h1>
          {p.kind}/{p.name}
        </h1>
        <KindStatusLine kinds={[p.kind]} />
        {store.isSynced(p.kind) && <p>Not found in namespace {p.namespace} (deleted?).</p>}
      </div>
    );
  }
  const s = workloadState(p.kind, obj);
  return (
    <div class="view" data-view="workload">
      <p class="crumbs">
        <a href={href('workloads')}>Workloads</a> / {p.kind}
      </p>
      <h1>
        {p.name} <span class="muted">{p.namespace}</span>
      </h1>
      <div class="state-line" data-workload={`${p.kind}/${key}`} data-desired={s.desired} data-ready={s.ready}>
        <span class="big">
          desired <strong>{s.desired}</strong>
        </span>
        <span class="big">
          ready <strong>{s.ready}</strong>
        </span>
        {s.updated !== undefined && <span>up-to-date {s.updated}</span>}
        {s.available !== undefined && <span>available {s.available}</span>}
        <DeltaBadge delta={s.delta} converged={s.converged} progress={s.progress} />
        {!s.converged && <span class="muted">{s.progress}</span>}
      </div>
      <WorkloadActions kind={p.kind} obj={obj} desired={s.desired} />
      <Section title="Convergence timeline">
        {entries.length === 0 ? (
          <p class="muted">Nothing recorded yet.</p>
        ) : (
          <ol class="timeline" reversed>
            {[...entries].reverse().map((e, i) => (
              <li key={entries.length - i} class={`tl-${e.type}`}>
                <time>{clockText(e.at)}</time> <span class="tl-type">{e.type}</span> {e.text}
              </li>
            ))}
          </ol>
        )}
        <p class="muted small">Recorded in this browser from watch events since the console opened.</p>
      </Section>
      <Section title={`Pods (${pods.length})`}>
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Ready</th>
                <th scope="col">Status</th>
                <th scope="col">Restarts</th>
                <th scope="col">IP</th>
                <th scope="col">Node</th>
                <th scope="col">Age</th>
              </tr>
            </thead>
            <tbody>
              {(pods as Pod[]).map((pod) => (
                <tr key={pod.metadata?.uid} data-pod={keyOf(pod)}>
                  <th scope="row">
                    <a href={href('pods', pod.metadata?.namespace ?? '', pod.metadata?.name ?? '')}>{pod.metadata?.name}</a>
                  </th>
                  <td>{podReadyText(pod)}</td>
                  <td>{podStatusText(pod)}</td>
                  <td>{podRestarts(pod)}</td>
                  <td>
                    <code>{pod.status?.podIP ?? ''}</code>
                  </td>
                  <td>{pod.spec?.nodeName ?? ''}</td>
                  <td>{ageOf(pod.metadata?.creationTimestamp)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </Section>
      {p.kind === 'deployments' && (
        <Section title="Revisions">
          <ul class="plain">
            {deploymentRevisions(obj, store.list('replicasets'))
              .reverse()
              .map((rs) => (
                <li key={rs.metadata?.uid}>
                  revision {revisionOf(rs)} — {rs.metadata?.name}
                  {revisionOf(rs) === revisionOf(obj) ? ' (current)' : ''} · {(rs as { status?: { replicas?: number } }).status?.replicas ?? 0} pods
                  {rs.metadata?.annotations?.['kubernetes.io/change-cause'] ? ` · ${rs.metadata.annotations['kubernetes.io/change-cause']}` : ''}
                </li>
              ))}
          </ul>
        </Section>
      )}
      <Section title="Events">
        <EventList events={events} />
      </Section>
    </div>
  );
}

export function eventTime(e: Event): number {
  return Date.parse(e.lastTimestamp || e.eventTime || e.firstTimestamp || e.metadata?.creationTimestamp || '') || 0;
}

export function EventList(p: { events: Event[]; showObject?: boolean }) {
  if (!p.events.length) return <p class="muted">No events.</p>;
  return (
    <div class="table-wrap">
      <table class="events">
        <thead>
          <tr>
            <th scope="col">Type</th>
            <th scope="col">Reason</th>
            <th scope="col">Age</th>
            {p.showObject && <th scope="col">Object</th>}
            <th scope="col">From</th>
            <th scope="col">Message</th>
          </tr>
        </thead>
        <tbody>
          {p.events.map((e) => (
            <tr key={e.metadata?.uid} class={e.type === 'Warning' ? 'warning' : ''}>
              <td>{e.type}</td>
              <td>{e.reason}</td>
              <td>
                {ageOf(new Date(eventTime(e)).toISOString())}
                {e.count && e.count > 1 ? ` (×${e.count})` : ''}
              </td>
              {p.showObject && (
                <td>
                  {e.involvedObject?.kind === 'Pod' ? (
                    <a href={href('pods', e.involvedObject.namespace ?? '', e.involvedObject.name ?? '')}>pod/{e.involvedObject.name}</a>
                  ) : (
                    `${(e.involvedObject?.kind ?? '').toLowerCase()}/${e.involvedObject?.name ?? ''}`
                  )}
                </td>
              )}
              <td>{e.source?.component ?? e.reportingComponent ?? ''}</td>
              <td class="msg">{e.message}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
