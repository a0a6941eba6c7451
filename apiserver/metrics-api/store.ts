// The metrics API's store (metrics-server's storage, pure): the last two measurements of every node and
// container, and from them the windowed rates metrics-server serves — CPU as the cumulative CPU time's
// growth over the window between the two, memory as the newest working set. A pod is served once every
// one of its containers has two measurements; a node once it has two.

/** One node's Summary, as the node agent's /stats/resource (or /stats/summary) answers. */
export interface NodeSummary {
  node: { nodeName: string; cpu?: CpuStat; memory?: MemoryStat };
  pods?: Array<{ podRef: { name: string; namespace: string; uid?: string }; containers?: Array<{ name: string; cpu?: CpuStat; memory?: MemoryStat }> }>;
}
interface CpuStat {
  time: string;
  usageCoreNanoSeconds?: number;
}
interface MemoryStat {
  time: string;
  workingSetBytes?: number;
}

interface Point {
  t: number;
  cpuNanos: number;
  memoryBytes: number;
}

/** Usage over a window: nano-cores and bytes, timestamp (end) and window length in ms. */
export interface Usage {
  nanoCores: number;
  memoryBytes: number;
  timestamp: number;
  windowMs: number;
}

export interface PodUsage {
  namespace: string;
  name: string;
  timestamp: number;
  windowMs: number;
  containers: Array<{ name: string; usage: Usage }>;
}

function pointOf(cpu: CpuStat | undefined, mem: MemoryStat | undefined): Point | undefined {
  if (!cpu || cpu.usageCoreNanoSeconds === undefined) return undefined;
  const t = Date.parse(cpu.time);
  if (Number.isNaN(t)) return undefined;
  return { t, cpuNanos: cpu.usageCoreNanoSeconds, memoryBytes: mem?.workingSetBytes ?? 0 };
}

/** A rate from two points; undefined when they do not make one (same time, counter reset). */
function rate(prev: Point | undefined, cur: Point): Usage | undefined {
  if (!prev || cur.t <= prev.t || cur.cpuNanos < prev.cpuNanos) return undefined;
  return { nanoCores: ((cur.cpuNanos - prev.cpuNanos) * 1000) / (cur.t - prev.t), memoryBytes: cur.memoryBytes, timestamp: cur.t, windowMs: cur.t - prev.t };
}

interface Series {
  prev?: Point;
  cur: Point;
}

function advance(old: Series | undefined, p: Point): Series {
  if (!old) return { cur: p };
  if (p.t === old.cur.t) return old; // the agent has not measured again since the last scrape
  return { prev: old.cur, cur: p };
}

export class MetricsStore {
  /** Bumped by every update(): what was derived from the measurements before is stale. */
  generation = 0;
  private nodes = new Map<string, Series>();
  /** By namespace/name: the pod's uid (a re-created pod starts over) and its containers' series. */
  private pods = new Map<string, { uid?: string; node: string; containers: Map<string, Series> }>();

  /**
   * Takes one scrape. `present`: every Node of the cluster (others are forgotten); `answered`: the nodes
   * whose agent answered (what they held before and no longer report is forgotten).
   */
  update(present: string[], answered: string[], summaries: NodeSummary[]): void {
    this.generation++;
    const seenNodes = new Set<string>();
    const seenPods = new Set<string>();
    for (const s of summaries) {
      const name = s.node.nodeName;
      seenNodes.add(name);
      const np = pointOf(s.node.cpu, s.node.memory);
      if (np) this.nodes.set(name, advance(this.nodes.get(name), np));
      for (const p of s.pods ?? []) {
        const key = `${p.podRef.namespace}/${p.podRef.name}`;
        seenPods.add(key);
        let entry = this.pods.get(key);
        if (!entry || entry.uid !== p.podRef.uid) entry = { uid: p.podRef.uid, node: name, containers: new Map() };
        const containers = new Map<string, Series>();
        for (const c of p.containers ?? []) {
          const cp = pointOf(c.cpu, c.memory);
          if (cp) containers.set(c.name, advance(entry.containers.get(c.name), cp));
        }
        this.pods.set(key, { uid: p.podRef.uid, node: name, containers });
      }
    }
    const answeredSet = new Set(answered);
    const presentSet = new Set(present);
    for (const n of [...this.nodes.keys()]) if ((answeredSet.has(n) && !seenNodes.has(n)) || !presentSet.has(n)) this.nodes.delete(n);
    for (const [key, p] of [...this.pods]) if ((answeredSet.has(p.node) && !seenPods.has(key)) || !presentSet.has(p.node)) this.pods.delete(key);
  }

  node(name: string): Usage | undefined {
    const s = this.nodes.get(name);
    return s ? rate(s.prev, s.cur) : undefined;
  }

  nodeNames(): string[] {
    return [...this.nodes.keys()];
  }

  pod(namespace: string, name: string): PodUsage | undefined {
    const p = this.pods.get(`${namespace}/${name}`);
    if (!p || p.containers.size === 0) return undefined;
    const containers: PodUsage['containers'] = [];
    let timestamp = 0;
    let windowMs = 0;
    for (const [cname, s] of p.containers) {
      const u = rate(s.prev, s.cur);
      if (!u) return undefined;
      containers.push({ name: cname, usage: u });
      timestamp = Math.max(timestamp, u.timestamp);
      windowMs = Math.max(windowMs, u.windowMs);
    }
    return { namespace, name, timestamp, windowMs, containers };
  }

  /** namespace/name of every pod with measurements (served or not yet). */
  podKeys(namespace?: string): Array<{ namespace: string; name: string }> {
    const out: Array<{ namespace: string; name: string }> = [];
    for (const key of this.pods.keys()) {
      const i = key.indexOf('/');
      const ns = key.slice(0, i);
      if (namespace === undefined || ns === namespace) out.push({ namespace: ns, name: key.slice(i + 1) });
    }
    return out;
  }
}
