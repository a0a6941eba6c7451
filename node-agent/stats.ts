// Container usage from CRI stats (kubelet's CRI stats provider, reduced): CPU time and working set of
// every container the PLEG cache knows, with its pod's namespace and name, for the agent's /metrics
// and /stats/summary. Containers of other owners on a shared runtime are left out.
import type { Pod } from 'kubernetes-types/core/v1';
import type { ObservedPod } from './observed';
import type { ContainerRuntime } from './runtime/runtime';

export interface PodUsage {
  namespace: string;
  pod: string;
  uid: string;
  container: string;
  containerId: string;
  cpuSeconds: number;
  memoryBytes: number;
  timestamp: number;
}

/** One CRI ListContainerStats call, joined with the observed pods (by container id) and the API pods (by uid). */
export async function collectUsage(runtime: ContainerRuntime, observed: Map<string, ObservedPod>, podOf: (uid: string) => Pod | undefined): Promise<PodUsage[]> {
  const stats = await runtime.containerStats();
  const byId = new Map<string, { uid: string; name: string }>();
  for (const p of observed.values()) for (const c of p.containers) byId.set(c.id, { uid: p.uid, name: c.name });
  const out: PodUsage[] = [];
  for (const s of stats) {
    const c = byId.get(s.id);
    if (!c) continue;
    const pod = podOf(c.uid);
    out.push({
      namespace: pod?.metadata?.namespace || '',
      pod: pod?.metadata?.name || '',
      uid: c.uid,
      container: c.name,
      containerId: s.id,
      cpuSeconds: s.cpuUsageCoreNanoSeconds / 1e9,
      memoryBytes: s.memoryWorkingSetBytes,
      timestamp: s.timestamp,
    });
  }
  return out;
}
