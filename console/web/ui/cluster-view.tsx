// The cluster at a glance: services → tasks (pods, with their IPs) → nodes, as the seeds draw it; every
// node with its capacity, allocatable, what its pods request (and use, where metrics.k8s.io is served),
// its pods, and cordon/drain; pods no node has taken yet, each with `steer why pending`'s answer.
import type { Event, Pod } from 'kubernetes-types/core/v1';
import { Component } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { explainPod } from '../../../lib/api/why-pending';
import { cordonAction, drainPlan, evictAction } from '../model/actions';
import { bytesText, cpuText, naturalCompare, share } from '../model/format';
import { nodeSummaries, podStatusText, serviceTopology, NodeSummary } from '../model/topology';
import { Badge, ConfirmButton, KindStatusLine, Meter, Section, useRunner } from './common';
import { useConsole } from './context';
import { href, useKinds } from './hooks';

let firstPaintMarked = false;
let fullyDrawnMarked = false;
/**
 * The first frame draws a 1280×800 screenful: the summary and the first services' tasks (a service is
 * about 260 px tall); node cards, below them, follow a screenful per frame.
 */
const FIRST_SERVICES = 4;
/** Node cards per frame after the first (more than a 1280×800 screen shows), or in the first without services. */
const FIRST_NODES = 12;

export function ClusterView() {
  const store = useKinds('nodes', 'pods', 'services');
  const { namespace, hub } = useConsole();
  const nodesV = store.version('nodes');
  const podsV = store.version('pods');
  const servicesV = store.version('services');
  const ready = store.isSynced('nodes') && store.isSynced('pods');
  // Nothing is drawn until both lists are in (or failed, or not served): nodes without their pods would
  // be drawn once, then every card and service again when the pods land — on the first paint's path.
  const settled = (['nodes', 'pods'] as const).every((k) => store.isSynced(k) || store.kindStatus(k).state === 'retrying' || !hub.serves(k));
  const nodes = useMemo(() => (settled ? nodeSummaries(store.list('nodes'), store.list('pods')) : []), [settled, nodesV, podsV]);
  const services = useMemo(
    () => (settled ? serviceTopology(store.list('services').filter((s) => !namespace || s.metadata?.namespace === namespace), store.list('pods')) : []),
    [settled, servicesV, podsV, namespace],
  );
  const pods = store.list('pods') as Pod[];
  const pending = settled ? pods.filter((p) => !p.spec?.nodeName && (!namespace || p.metadata?.namespace === namespace)) : [];
  // A large cluster is drawn in steps: a screenful in the first paint, then the other services and a
  // screenful of node cards per frame, so the first screen shows without waiting for all, and no long
  // task holds back the watch events arriving meanwhile.
  const [frames, setFrames] = useState(0);
  const shownServices = frames === 0 ? FIRST_SERVICES : services.length;
  const shownNodes = frames === 0 ? (services.length >= FIRST_SERVICES ? 0 : FIRST_NODES) : frames * FIRST_NODES;
  useEffect(() => {
    if (settled && (shownServices < services.length || shownNodes < nodes.length)) {
      const f = requestAnimationFrame(() => setFrames((n) => n + 1));
      return () => cancelAnimationFrame(f);
    }
    if (ready && !fullyDrawnMarked) {
      fullyDrawnMarked = true;
      performance.mark('steer-console-cluster-drawn'); // bench/console.ts: every card drawn
    }
  }, [settled, frames, services.length, nodes.length]);
  useEffect(() => {
    // The benchmark's "first meaningful paint": the first screenful drawn with the nodes and pods listed.
    if (ready && !firstPaintMarked) {
      firstPaintMarked = true;
      performance.mark('steer-console-cluster-painted');
      document.body.dataset.clusterPainted = String(pods.length);
    }
  }, [ready]);
  const usage = useNodeUsage(ready);
  const running = pods.filter((p) => p.status?.phase === 'Running').length;
  if (!settled) {
    return (
      <div class="view" data-view="cluster">
        <h1>Cluster</h1>
        <KindStatusLine kinds={['nodes', 'pods', 'services']} />
      </div>
    );
  }
  return (
    <div class="view" data-view="cluster">
      <h1>Cluster</h1>
      <KindStatusLine kinds={['nodes', 'pods', 'services']} />
      <p class="summary">
        <span data-testid="node-count">{nodes.length} nodes</span> ({nodes.filter((n) => n.ready).length} ready) ·{' '}
        <span data-testid="pod-count">{pods.length} pods</span> ({running} running, {pods.filter((p) => p.status?.phase === 'Pending').length} pending) · {services.length}{' '}
        services
      </p>
      {pending.length > 0 && <PendingPods pods={pending} />}
      <Section title="Services → tasks → nodes">
        {services.length === 0 ? (
          <p class="muted">No services{namespace ? ` in ${namespace}` : ''}.</p>
        ) : (
          <ul class="topology">
            {services.slice(0, shownServices).map((t) => (
              <li key={t.service.metadata?.uid} class="svc">
                <div class="svc-head">
                  <strong>{t.service.metadata?.name}</strong>
                  <span class="muted">{t.service.metadata?.namespace}</span>
                  <code>{t.service.spec?.clusterIP ?? ''}</code>
                  <span class="muted">{(t.service.spec?.ports ?? []).map((p) => `${p.port}/${p.protocol ?? 'TCP'}`).join(', ')}</span>
                  <span>
                    {t.podCount} {t.podCount === 1 ? 'task' : 'tasks'}
                  </span>
                </div>
                <ServiceNodes podsByNode={t.podsByNode} />
              </li>
            ))}
          </ul>
        )}
      </Section>
      <Section title="Nodes">
        <NodeUsageNote />
        <div class="nodes">
          {nodes.slice(0, shownNodes).map((n) => (
            <NodeCardIfChanged key={n.name} n={n} namespace={namespace} usage={usage?.get(n.name)} />
          ))}
        </div>
      </Section>
    </div>
  );
}

/** A Service's tasks by node; a large Service shows its first nodes until asked for all. */
function ServiceNodes(p: { podsByNode: Map<string, Pod[]> }) {
  const [all, setAll] = useState(false);
  const entries = [...p.podsByNode.entries()].sort((a, b) => naturalCompare(a[0], b[0]));
  const shown = all ? entries : entries.slice(0, 8);
  return (
    <ul class="svc-nodes">
      {shown.map(([node, list]) => (
        <li key={node}>
          <span class="arrow" aria-hidden="true">
            →
          </span>{' '}
          <span class="node-name">{node || '(not scheduled)'}</span>
          <span class="chips">
            {list.map((pod) => (
              <PodChipIfChanged key={pod.metadata?.uid} pod={pod} />
            ))}
          </span>
        </li>
      ))}
      {entries.length > shown.length && (
        <li>
          <button type="button" class="link" onClick={() => setAll(true)}>
            {entries.length - shown.length} more nodes
          </button>
        </li>
      )}
    </ul>
  );
}

export function PodChip(p: { pod: Pod }) {
  const status = podStatusText(p.pod);
  const ready = (p.pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
  const tone = p.pod.metadata?.deletionTimestamp ? 'muted' : ready ? 'ok' : status === 'Running' || status === 'Pending' || status === 'ContainerCreating' ? 'warn' : 'bad';
  return (
    <a class={`chip ${tone}`} href={href('pods', p.pod.metadata?.namespace ?? '', p.pod.metadata?.name ?? '')} title={`${p.pod.metadata?.name}: ${status}`}>
      <span class="chip-name">{p.pod.metadata?.name}</span>
      <code>{p.pod.status?.podIP || status}</code>
    </a>
  );
}

type NodeCardProps = { n: NodeSummary; namespace: string; usage: Usage | undefined };

/**
 * A pod event re-renders the view, but only the cards and chips whose objects changed are drawn again
 * (the store keeps an unchanged object's identity), not a thousand chips per event.
 */
class NodeCardIfChanged extends Component<NodeCardProps> {
  override shouldComponentUpdate(next: NodeCardProps): boolean {
    const a = this.props;
    return a.namespace !== next.namespace || a.usage !== next.usage || a.n.node !== next.n.node || !sameItems(a.n.pods, next.n.pods);
  }
  override render() {
    return <NodeCard {...this.props} />;
  }
}

class PodChipIfChanged extends Component<{ pod: Pod }> {
  override shouldComponentUpdate(next: { pod: Pod }): boolean {
    return next.pod !== this.props.pod;
  }
  override render() {
    return <PodChip pod={this.props.pod} />;
  }
}

function sameItems<T>(a: readonly T[], b: readonly T[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function NodeCard(p: NodeCardProps) {
  const { n } = p;
  const { api, store } = useConsole();
  const runner = useRunner();
  const pods = p.namespace ? n.pods.filter((x) => x.metadata?.namespace === p.namespace) : n.pods;
  const [showAll, setShowAll] = useState(false);
  const shown = showAll ? pods : pods.slice(0, 16);
  const drain = () =>
    runner.run(`drain ${n.name}`, async () => {
      if (!n.unschedulable) await api.request(cordonAction(n.name, true));
      const plan = drainPlan(store.list('pods'), n.name);
      if (plan.unmanaged.length) {
        throw new Error(`cordoned, but not drained: pods no controller would recreate: ${plan.unmanaged.map((x) => x.metadata?.name).join(', ')} (kubectl drain --force would delete them)`);
      }
      for (const pod of plan.evict) await api.request(evictAction(pod));
      return `kubectl drain ${n.name} --ignore-daemonsets: evicted ${plan.evict.length} pods${plan.skipped.length ? `, left ${plan.skipped.length} DaemonSet pods` : ''}`;
    });
  return (
    <article class="node" aria-label={`node ${n.name}`} data-node={n.name}>
      <header>
        <h3>{n.name}</h3>
        <code>{n.internalIP}</code>
        {n.ready ? <Badge tone="ok">Ready</Badge> : <Badge tone="bad">NotReady</Badge>}
        {n.unschedulable && <Badge tone="warn">SchedulingDisabled</Badge>}
      </header>
      <Meter label="CPU requested" value={share(n.requested.cpuMilli, n.allocatable.cpuMilli)} text={`${cpuText(n.requested.cpuMilli)} of ${cpuText(n.allocatable.cpuMilli)} (capacity ${cpuText(n.capacity.cpuMilli)})`} />
      <Meter label="Memory requested" value={share(n.requested.memoryBytes, n.allocatable.memoryBytes)} text={`${bytesText(n.requested.memoryBytes)} of ${bytesText(n.allocatable.memoryBytes)} (capacity ${bytesText(n.capacity.memoryBytes)})`} />
      <Meter label="Pods" value={share(n.requested.pods, n.allocatable.pods)} text={`${n.requested.pods} of ${n.allocatable.pods}`} />
      <NodeUsage usage={p.usage} />
      <div class="chips">
        {shown.map((pod) => (
          <PodChipIfChanged key={pod.metadata?.uid} pod={pod} />
        ))}
        {pods.length > shown.length && (
          <button type="button" class="link" onClick={() => setShowAll(true)}>
            {pods.length - shown.length} more
          </button>
        )}
      </div>
      <div class="actions">
        <button type="button" disabled={runner.busy} onClick={() => void runner.run(n.unschedulable ? 'uncordon' : 'cordon', cordonAction(n.name, !n.unschedulable))}>
          {n.unschedulable ? 'Uncordon' : 'Cordon'}
        </button>
        <ConfirmButton label="Drain" confirm={`Evict the pods of ${n.name}?`} disabled={runner.busy} onConfirm={() => void drain()} />
      </div>
    </article>
  );
}

function NodeUsageNote() {
  const { metrics } = useConsole();
  return metrics !== false ? null : <p class="muted small">Usage needs metrics.k8s.io, which this API does not serve: the meters show what the pods request.</p>;
}

type Usage = { cpu?: string; memory?: string };

/**
 * Node usage from metrics.k8s.io, when the API serves it: one list of every node's metrics (not a
 * request per card: a hundred nodes' requests queued behind the pods list and the first paint), read
 * once the view has painted and each time it opens again (the API cannot watch metrics).
 */
function useNodeUsage(painted: boolean): Map<string, Usage> | undefined {
  const { api, metrics } = useConsole();
  const [usage, setUsage] = useState<Map<string, Usage> | undefined>(undefined);
  useEffect(() => {
    if (!metrics || !painted) return;
    let gone = false;
    api
      .request<{ items?: Array<{ metadata?: { name?: string }; usage?: Usage }> }>({ path: '/apis/metrics.k8s.io/v1beta1/nodes' })
      .then((list) => !gone && setUsage(new Map((list.items ?? []).map((m) => [m.metadata?.name ?? '', m.usage ?? {}]))))
      .catch(() => !gone && setUsage(undefined));
    return () => {
      gone = true;
    };
  }, [metrics, painted]);
  return usage;
}

function NodeUsage(p: { usage: Usage | undefined }) {
  if (!p.usage) return null;
  return (
    <p class="small">
      Usage: CPU {p.usage.cpu ?? '?'}, memory {p.usage.memory ?? '?'}
    </p>
  );
}

function PendingPods(p: { pods: Pod[] }) {
  const store = useKinds('events');
  const events = store.listOf<Event>('events');
  return (
    <Section title="Pending pods">
      <ul class="pending">
        {p.pods.slice(0, 50).map((pod) => {
          const mine = events.filter((e) => e.involvedObject?.uid === pod.metadata?.uid);
          const findings = explainPod(pod, mine, undefined);
          return (
            <li key={pod.metadata?.uid}>
              <a href={href('pods', pod.metadata?.namespace ?? '', pod.metadata?.name ?? '')}>{pod.metadata?.name}</a>
              <span class="muted"> {pod.metadata?.namespace}</span>
              <ul class="why">
                {findings.map((f, i) => (
                  <li key={i}>
                    <Badge tone="warn">{f.area}</Badge> {f.summary}
                    {f.hint && <span class="hint"> — hint: {f.hint}</span>}
                  </li>
                ))}
              </ul>
            </li>
          );
        })}
      </ul>
    </Section>
  );
}
