// How a pod's containers add up to the pod's own requests or limits, as kube's resourcehelper
// (PodRequests, PodLimits) adds them since sidecars: the containers run together (summed); init
// container i runs beside the sidecars declared before it (restartable init containers, which keep
// running and so also add to the containers' sum); the pod needs the larger of the two. Shared by the
// scheduler's fit and the quota's usage.
import type { Container, Pod } from 'kubernetes-types/core/v1';

/** Amounts by resource name (any unit the caller chooses: milli-CPUs, bytes, counts). */
export type Amounts = Map<string, number>;

function addInto(into: Amounts, more: Amounts): void {
  for (const [k, v] of more) into.set(k, (into.get(k) ?? 0) + v);
}

function maxInto(into: Amounts, other: Amounts): void {
  for (const [k, v] of other) into.set(k, Math.max(into.get(k) ?? 0, v));
}

/** The pod's amounts from each container's (`amountsOf`), without the pod overhead. */
export function podAmounts(pod: Pod, amountsOf: (c: Container) => Amounts): Amounts {
  const total: Amounts = new Map();
  for (const c of pod.spec?.containers ?? []) addInto(total, amountsOf(c));
  const sidecars: Amounts = new Map();
  const initPeak: Amounts = new Map();
  for (const c of pod.spec?.initContainers ?? []) {
    const own = amountsOf(c);
    if (c.restartPolicy === 'Always') {
      addInto(total, own);
      addInto(sidecars, own);
      maxInto(initPeak, sidecars);
    } else {
      const running = new Map(sidecars);
      addInto(running, own);
      maxInto(initPeak, running);
    }
  }
  maxInto(total, initPeak);
  return total;
}
