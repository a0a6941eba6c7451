// The scheduler's cache: every node with the running totals of its pods, including pods this
// scheduler has *assumed* onto a node (chosen, binding under way or done, not yet seen bound through
// the watch). Counting assumed pods at once is what keeps two pods scheduled back to back from being
// placed on the same last free slot, without waiting for the watch.
import type { Node, Pod } from 'kubernetes-types/core/v1';
import { isPodTerminal } from '../lib/api/pod';
import { NodeInfo } from './framework/node-info';
import { newPodInfo, PodInfo } from './framework/pod-info';
import type { ClusterSnapshot, ObjectListers } from './framework/types';
import { noObjectListers } from './framework/types';

interface PodState {
  info: PodInfo;
  nodeName: string;
  assumed: boolean;
}

export class SchedulerCache {
  /** By node name; also holds placeholders for nodes we saw pods on but not (or no longer) the Node. */
  private readonly nodes = new Map<string, NodeInfo>();
  private readonly present = new Set<string>();
  private readonly pods = new Map<string, PodState>(); // by uid
  private nodeList: NodeInfo[] | undefined;
  /** The present nodes holding pods with pod (anti-)affinity, kept up to date as such pods come and go. */
  private readonly withAffinity = new NodeSet();
  private readonly withRequiredAntiAffinity = new NodeSet();

  get nodeCount(): number {
    return this.present.size;
  }

  /** Pods the cache tracks (bound or assumed): gone pods must leave (churn tests). */
  get podCount(): number {
    return this.pods.size;
  }

  /** The nodes that exist, in a stable order (rebuilt only when nodes come or go). */
  listNodes(): NodeInfo[] {
    if (!this.nodeList) {
      this.nodeList = [...this.present].sort().map((n) => this.nodes.get(n) as NodeInfo);
    }
    return this.nodeList;
  }

  /**
   * The cluster for one scheduling cycle. Not a copy: it is read synchronously within the cycle, and
   * nothing changes the cache during it.
   */
  snapshot(listers: ObjectListers = noObjectListers): ClusterSnapshot {
    return {
      nodes: this.listNodes(),
      nodesWithPodAffinity: this.withAffinity.items,
      nodesWithRequiredAntiAffinity: this.withRequiredAntiAffinity.items,
      listers,
    };
  }

  getNode(name: string): NodeInfo | undefined {
    return this.present.has(name) ? this.nodes.get(name) : undefined;
  }

  addNode(node: Node): void {
    const name = node.metadata?.name ?? '';
    const existing = this.nodes.get(name);
    if (existing) existing.setNode(node);
    else this.nodes.set(name, new NodeInfo(node));
    if (!this.present.has(name)) {
      this.present.add(name);
      this.nodeList = undefined;
      this.refreshAffinityMembership(name);
    }
  }

  updateNode(node: Node): void {
    this.addNode(node);
  }

  removeNode(name: string): void {
    if (this.present.delete(name)) {
      this.nodeList = undefined;
      this.refreshAffinityMembership(name);
    }
    const info = this.nodes.get(name);
    // Pods still listed on a deleted node keep their placeholder until they go too.
    if (info && info.pods.size === 0) this.nodes.delete(name);
  }

  isAssumed(uid: string): boolean {
    return this.pods.get(uid)?.assumed ?? false;
  }

  /** The node a pod is on or assumed on, if the cache has it. */
  nodeOf(uid: string): string | undefined {
    return this.pods.get(uid)?.nodeName;
  }

  /** Counts a pod on a node before its binding is confirmed. */
  assumePod(info: PodInfo, nodeName: string): void {
    if (this.pods.has(info.uid)) throw new Error(`pod ${info.key} is already in the scheduler cache`);
    this.placeOn(info, nodeName);
    this.pods.set(info.uid, { info, nodeName, assumed: true });
  }

  /** Drops an assumption (the bind failed). A pod confirmed in the meantime stays. */
  forgetPod(uid: string): void {
    const st = this.pods.get(uid);
    if (!st || !st.assumed) return;
    this.unplace(st);
    this.pods.delete(uid);
  }

  /**
   * A bound pod seen through the watch (added or changed): confirms an assumption, or records a pod
   * bound by someone else. A finished pod frees its resources.
   */
  addOrUpdatePod(pod: Pod): void {
    const nodeName = pod.spec?.nodeName;
    const uid = pod.metadata?.uid;
    if (!nodeName || !uid) return;
    // A finished pod no longer holds resources on its node.
    if (isPodTerminal(pod)) {
      this.removePod(uid);
      return;
    }
    const st = this.pods.get(uid);
    if (st) {
      if (st.nodeName === nodeName) {
        // Same placement (typically our own assumption confirmed): requests cannot have changed.
        st.info.pod = pod;
        st.assumed = false;
        return;
      }
      this.unplace(st);
    }
    const info = newPodInfo(pod);
    this.placeOn(info, nodeName);
    this.pods.set(uid, { info, nodeName, assumed: false });
  }

  removePod(uid: string): void {
    const st = this.pods.get(uid);
    if (!st) return;
    this.unplace(st);
    this.pods.delete(uid);
  }

  private refreshAffinityMembership(name: string): void {
    const node = this.present.has(name) ? this.nodes.get(name) : undefined;
    this.withAffinity.set(name, node && node.podsWithAffinity.size > 0 ? node : undefined);
    this.withRequiredAntiAffinity.set(name, node && node.podsWithRequiredAntiAffinity.size > 0 ? node : undefined);
  }

  private placeOn(info: PodInfo, nodeName: string): void {
    let node = this.nodes.get(nodeName);
    if (!node) {
      node = new NodeInfo({ metadata: { name: nodeName } });
      this.nodes.set(nodeName, node);
    }
    node.addPod(info);
    if (info.affinity) this.refreshAffinityMembership(nodeName);
  }

  private unplace(st: PodState): void {
    const node = this.nodes.get(st.nodeName);
    if (!node) return;
    node.removePod(st.info.uid);
    if (st.info.affinity) this.refreshAffinityMembership(st.nodeName);
    if (node.pods.size === 0 && !this.present.has(st.nodeName)) this.nodes.delete(st.nodeName);
  }
}

/** A set of nodes by name with an array view kept in place: O(1) add and remove (swap with the last). */
class NodeSet {
  readonly items: NodeInfo[] = [];
  private readonly index = new Map<string, number>();

  /** Puts the node in (or replaces it) when given, takes the name out when undefined. */
  set(name: string, node: NodeInfo | undefined): void {
    const i = this.index.get(name);
    if (node) {
      if (i === undefined) {
        this.index.set(name, this.items.length);
        this.items.push(node);
      } else this.items[i] = node;
      return;
    }
    if (i === undefined) return;
    const last = this.items.pop() as NodeInfo;
    this.index.delete(name);
    if (i < this.items.length) {
      this.items[i] = last;
      this.index.set(last.name, i);
    }
  }
}
