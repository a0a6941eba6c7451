// Every workload with desired vs observed: READY as kubectl prints it, up-to-date and available, and Δ
// (what the loop still has to close) highlighted while it converges. Live from watches; each row links
// to the workload's timeline and pods, and carries its actions.
import { useMemo } from 'preact/hooks';
import type { KubeObject } from '../model/api';
import { WORKLOAD_KINDS, WorkloadKind } from '../model/kinds';
import { ageOf } from '../model/format';
import { workloadState } from '../model/workloads';
import { KindStatusLine, Section } from './common';
import { useConsole } from './context';
import { href, useKinds } from './hooks';
import { WorkloadActions } from './workload-actions';

const TITLES: Record<WorkloadKind, string> = { deployments: 'Deployments', daemonsets: 'DaemonSets', statefulsets: 'StatefulSets', jobs: 'Jobs' };

export function WorkloadsView() {
  const { hub } = useConsole();
  const kinds = WORKLOAD_KINDS.filter((k) => hub.serves(k));
  useKinds(...kinds);
  return (
    <div class="view" data-view="workloads">
      <h1>Workloads</h1>
      <KindStatusLine kinds={[...kinds]} />
      {kinds.map((k) => (
        <WorkloadTable key={k} kind={k} />
      ))}
    </div>
  );
}

export function DeltaBadge(p: { delta: number; converged: boolean; progress: string }) {
  if (p.converged) {
    return (
      <span class="delta done" title="desired = observed">
        Δ 0
      </span>
    );
  }
  const sign = p.delta > 0 ? '+' : '';
  return (
    <span class="delta converging" title={p.progress} aria-label={`converging: Δ ${sign}${p.delta}, ${p.progress}`}>
      Δ {sign}
      {p.delta}
      <span class="spinner" aria-hidden="true" />
    </span>
  );
}

function WorkloadTable(p: { kind: WorkloadKind }) {
  const { store, namespace } = useConsole();
  const v = store.version(p.kind);
  const rows = useMemo(
    () =>
      store
        .list(p.kind)
        .filter((o) => !namespace || o.metadata?.namespace === namespace)
        .sort((a, b) => `${a.metadata?.namespace}/${a.metadata?.name}`.localeCompare(`${b.metadata?.namespace}/${b.metadata?.name}`)),
    [v, namespace],
  );
  const jobs = p.kind === 'jobs';
  return (
    <Section title={TITLES[p.kind]} id={`t-${p.kind}`}>
      {rows.length === 0 ? (
        <p class="muted">{store.isSynced(p.kind) ? 'None.' : 'Loading…'}</p>
      ) : (
        <div class="table-wrap">
          <table class="cards">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Namespace</th>
                <th scope="col">{jobs ? 'Completions' : 'Ready'}</th>
                <th scope="col">Δ</th>
                {!jobs && <th scope="col">Up-to-date</th>}
                {!jobs && <th scope="col">Available</th>}
                <th scope="col">Age</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((o) => (
                <WorkloadRow key={o.metadata?.uid} kind={p.kind} obj={o} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Section>
  );
}

function WorkloadRow(p: { kind: WorkloadKind; obj: KubeObject }) {
  const s = workloadState(p.kind, p.obj);
  const ns = p.obj.metadata?.namespace ?? '';
  const name = p.obj.metadata?.name ?? '';
  const id = `${p.kind}/${ns}/${name}`;
  return (
    <tr data-workload={id} data-desired={s.desired} data-ready={s.ready} data-converged={String(s.converged)} class={s.converged ? '' : 'converging'}>
      <th scope="row">
        <a href={href('workloads', p.kind, ns, name)}>{name}</a>
      </th>
      <td data-label="Namespace">{ns}</td>
      <td class="ready" data-label={p.kind === 'jobs' ? 'Completions' : 'Ready'} data-ready-cell={id}>
        {s.label}
      </td>
      <td data-label="Δ">
        <DeltaBadge delta={s.delta} converged={s.converged} progress={s.progress} />
      </td>
      {p.kind !== 'jobs' && <td data-label="Up-to-date">{s.updated ?? ''}</td>}
      {p.kind !== 'jobs' && <td data-label="Available">{s.available ?? ''}</td>}
      <td data-label="Age">{ageOf(p.obj.metadata?.creationTimestamp)}</td>
      <td class="row-actions">
        <WorkloadActions kind={p.kind} obj={p.obj} desired={s.desired} />
      </td>
    </tr>
  );
}
