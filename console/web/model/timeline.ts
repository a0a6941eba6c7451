// The convergence timeline of each workload, kept in the browser from watch events: when the desired
// state changed (replicas, or the pod template: a new generation), each step of the observed state
// catching up, and when Δ reached 0 — with how long the loop took since the last change of desire.
import type { KubeObject } from './api';
import { isWorkloadKind, WorkloadKind } from './kinds';
import type { Change, Store } from './store';
import { workloadState, WorkloadState } from './workloads';

export type TimelineEntryType = 'seen' | 'desired' | 'observed' | 'converged' | 'deleted';

export interface TimelineEntry {
  at: number;
  type: TimelineEntryType;
  text: string;
  state?: WorkloadState;
}

interface Track {
  entries: TimelineEntry[];
  /** When desire last changed and convergence has not been reached since. */
  desiredAt?: number;
  last?: WorkloadState;
  generation?: number;
}

/** Entries kept per workload (the oldest go first). */
const MAX_ENTRIES = 200;
/** Timelines of deleted workloads kept (the oldest go first), so churn does not grow the page's memory. */
const MAX_DELETED = 50;

function observedText(s: WorkloadState): string {
  const parts = [`ready ${s.label}`];
  if (s.updated !== undefined) parts.push(`up-to-date ${s.updated}`);
  if (s.available !== undefined) parts.push(`available ${s.available}`);
  parts.push(`current ${s.current}`);
  return parts.join(', ');
}

function sameObserved(a: WorkloadState, b: WorkloadState): boolean {
  return a.ready === b.ready && a.current === b.current && a.updated === b.updated && a.available === b.available && a.converged === b.converged;
}

export class Timelines {
  private readonly tracks = new Map<string, Track>();
  private readonly deleted: string[] = [];
  private unsubscribe: (() => void) | undefined;

  /** Starts recording from the store's changes. */
  attach(store: Store): this {
    this.unsubscribe = store.onChange((c) => this.record(c));
    return this;
  }

  detach(): void {
    this.unsubscribe?.();
  }

  entries(kind: WorkloadKind, key: string): TimelineEntry[] {
    return this.tracks.get(`${kind}:${key}`)?.entries ?? [];
  }

  record(c: Change): void {
    if (!isWorkloadKind(c.kind)) return;
    const kind = c.kind;
    const obj = (c.next ?? c.prev) as KubeObject;
    const id = `${kind}:${obj.metadata?.namespace ? `${obj.metadata.namespace}/` : ''}${obj.metadata?.name}`;
    let t = this.tracks.get(id);
    if (!t) this.tracks.set(id, (t = { entries: [] }));
    const push = (type: TimelineEntryType, text: string, state?: WorkloadState) => {
      t!.entries.push({ at: c.at, type, text, state });
      if (t!.entries.length > MAX_ENTRIES) t!.entries.splice(0, t!.entries.length - MAX_ENTRIES);
    };
    if (c.type === 'DELETED' || !c.next) {
      push('deleted', 'deleted');
      t.last = undefined;
      this.deleted.push(id);
      if (this.deleted.length > MAX_DELETED) {
        const old = this.deleted.shift()!;
        if (!this.tracks.get(old)?.last) this.tracks.delete(old);
      }
      return;
    }
    const s = workloadState(kind, c.next);
    const generation = c.next.metadata?.generation;
    if (!t.last) {
      push('seen', s.converged ? `seen: ${observedText(s)} (converged)` : `seen while converging: ${observedText(s)}; Δ ${s.delta}`, s);
      if (!s.converged) t.desiredAt = c.at;
    } else {
      const prev = t.last;
      const desireChanged = s.desired !== prev.desired || (generation !== undefined && t.generation !== undefined && generation !== t.generation);
      if (desireChanged) {
        const what = s.desired !== prev.desired ? `desired ${prev.desired} → ${s.desired}` : `spec changed (generation ${t.generation} → ${generation})`;
        push('desired', `${what}; Δ ${s.delta}`, s);
        t.desiredAt = c.at;
      }
      if (!sameObserved(s, prev)) {
        // Observed state drifted away by itself (a pod died, a node went): the loop works from here.
        if (prev.converged && !s.converged && t.desiredAt === undefined) t.desiredAt = c.at;
        if (s.converged && !prev.converged) {
          const took = t.desiredAt !== undefined ? ` in ${((c.at - t.desiredAt) / 1000).toFixed(1)} s` : '';
          push('converged', `Δ reached 0${took}: ${observedText(s)}`, s);
          t.desiredAt = undefined;
        } else if (!desireChanged) {
          // (With a change of desire, its entry already shows the new Δ.)
          push('observed', `observed ${observedText(s)}; Δ ${s.delta}`, s);
        }
      }
    }
    t.last = s;
    t.generation = generation;
  }
}
