// The network policy enforcer the node agent runs beside its service proxy (what k3s runs as
// kube-router's policy controller): it watches NetworkPolicies and, once there is one, every pod and
// namespace; computes this node's chains with the pure core (network-policy-rules.ts) and applies them
// with one `iptables-restore --noflush` of only its own chains when they changed, at most once per
// minSyncIntervalMs. Pod updates that change nothing a rule reads (status conditions, restarts) cost
// nothing. The jump from FORWARD is kept first (checked every checkIntervalMs, as the proxy's canary):
// the service proxy's FORWARD chain accepts NodePort and hairpin traffic, which must be judged first.
// On stop (and in `steer down`, after a crash) removeNetworkPolicyRules takes every chain away.
import type { Namespace, Pod } from 'kubernetes-types/core/v1';
import type { NetworkPolicy } from 'kubernetes-types/networking/v1';
import type { KubeClient } from '../../lib/client/client';
import { Resources } from '../../lib/api/resources';
import { SharedInformerFactory } from '../../lib/client/shared-informers';
import type { Informer } from '../../lib/client/informer';
import { BoundedRunner, startRuleTimers } from './bounded-runner';
import { computeNetworkPolicyRules, PolicyChainNames, podFingerprint, policyHookRule } from './network-policy-rules';
import { chainsInSave, chainTag, restoreInput } from './proxy-rules';
import { Iptables } from './iptables';

/** Removes every chain of an instance and the jump to them from FORWARD (on stop; `steer down` after a crash). */
export async function removeNetworkPolicyRules(instance: string, prefix: string[] = []): Promise<void> {
  const ipt = new Iptables(prefix);
  const names = new PolicyChainNames(chainTag(instance));
  await ipt.remove(policyHookRule(names));
  const existing = chainsInSave(await ipt.save('filter'), names.prefix);
  if (existing.length) await ipt.restore(restoreInput({ nat: { chains: [], rules: [] }, filter: { chains: [], rules: [] } }, { nat: [], filter: existing }));
}

export interface NetworkPolicyEnforcerOptions {
  client: KubeClient;
  nodeName: string;
  /** Names this instance's chains, as the service proxy's (steer server passes its bridge). */
  instance: string;
  /** At most one sync per this period; changes in between are merged (default 250 ms). */
  minSyncIntervalMs?: number;
  /** How often the jump is checked to be FORWARD's first rule, and put back first (default 30 s; 0 = never). */
  checkIntervalMs?: number;
  /** A full resync even without changes (default 1 h). */
  resyncIntervalMs?: number;
  /** Runs every command through this prefix (tests: ['ip', 'netns', 'exec', NAME]). */
  commandPrefix?: string[];
  /** Informers to share (steer server's); by default its own. */
  informers?: SharedInformerFactory;
  log?: (msg: string) => void;
}

export class NetworkPolicyEnforcer {
  private readonly informers: SharedInformerFactory;
  private readonly ownInformers: boolean;
  private readonly ipt: Iptables;
  private readonly names: PolicyChainNames;
  private readonly runner: BoundedRunner;
  private readonly log: (msg: string) => void;
  private policies!: Informer<NetworkPolicy>;
  /** Pods and namespaces are watched only once some policy exists: without one they decide nothing. */
  private peers?: { pods: Informer<Pod>; namespaces: Informer<Namespace>; synced: boolean };
  private stopTimers?: () => void;
  private stopped = false;
  private lastApplied = '';
  /** Our chains as the last restore left them (read back from iptables-save when unknown). */
  private ourChains?: string[];
  /** Completed syncs and restores (tests wait on them). */
  syncCount = 0;
  restoreCount = 0;

  constructor(private readonly o: NetworkPolicyEnforcerOptions) {
    this.ownInformers = !o.informers;
    this.informers = o.informers ?? new SharedInformerFactory(o.client);
    this.ipt = new Iptables(o.commandPrefix);
    this.names = new PolicyChainNames(chainTag(o.instance));
    this.log = o.log ?? ((m) => console.error(`network-policy: ${m}`));
    this.runner = new BoundedRunner(() => this.sync(), {
      minIntervalMs: o.minSyncIntervalMs ?? 250,
      onError: (err) => {
        this.log(`sync failed: ${err.message}`);
        this.forgetApplied();
      },
    });
  }

  get chainPrefix(): string {
    return this.names.prefix;
  }

  async start(): Promise<void> {
    this.policies = this.informers.informerFor<NetworkPolicy>(Resources.networkpolicies);
    const changed = () => {
      if (this.policies.list().length > 0) this.watchPeers().catch((err: Error) => this.log(`watching pods and namespaces failed: ${err.message}`));
      this.runner.request();
    };
    this.policies.onAdd(changed);
    this.policies.onUpdate(changed);
    this.policies.onDelete(changed);
    this.informers.start();
    await this.policies.start();
    if (this.policies.list().length > 0) await this.watchPeers();
    await this.runner.runNow();
    this.stopTimers = startRuleTimers({ resyncMs: this.o.resyncIntervalMs ?? 3_600_000, checkMs: this.o.checkIntervalMs ?? 30_000, resync: () => this.resync(), check: () => this.checkHook(), log: this.log });
  }

  /** Starts the pod and namespace informers (once); resolves when both are synced. */
  private watchPeers(): Promise<void> {
    if (this.peers) return this.peers.synced ? Promise.resolve() : Promise.all([this.peers.pods.start(), this.peers.namespaces.start()]).then(() => undefined);
    const pods = this.informers.informerFor<Pod>(Resources.pods);
    const namespaces = this.informers.informerFor<Namespace>(Resources.namespaces);
    const peers = { pods, namespaces, synced: false };
    this.peers = peers;
    const request = () => this.runner.request();
    pods.onAdd(request);
    pods.onDelete(request);
    pods.onUpdate((before, after) => {
      if (podFingerprint(before) !== podFingerprint(after)) request();
    });
    namespaces.onAdd(request);
    namespaces.onDelete(request);
    namespaces.onUpdate((before, after) => {
      if (JSON.stringify(before.metadata?.labels ?? {}) !== JSON.stringify(after.metadata?.labels ?? {})) request();
    });
    return Promise.all([pods.start(), namespaces.start()]).then(() => {
      peers.synced = true;
      request();
    });
  }

  /** Puts the FORWARD jump back first when something went before it (or took it); resolves with whether it had to. */
  async checkHook(): Promise<boolean> {
    if (this.stopped || this.runner.busy) return false;
    // Without a policy the chain lets everything through wherever it sits: no process to spawn (the
    // next sync after a policy appears puts the jump back first itself).
    if (this.policies.list().length === 0) return false;
    if (await this.hookIsFirst()) return false;
    if (this.stopped) return false;
    this.log('the jump from FORWARD is gone or no longer first: resyncing');
    this.resync();
    return true;
  }

  private async hookIsFirst(): Promise<boolean> {
    const first = (await this.ipt.listRules('filter', 'FORWARD'))[0];
    return first !== undefined && first.endsWith(` -j ${this.names.forward}`);
  }

  /** Reapplies every rule even if nothing changed here: someone may have flushed our chains. */
  resync(): void {
    this.forgetApplied();
    this.runner.request();
  }

  private forgetApplied(): void {
    this.lastApplied = '';
    this.ourChains = undefined;
  }

  private async sync(): Promise<void> {
    const policies = this.policies.list();
    // Until the peers are cached, a policy's rules would allow nothing: keep the last rules meanwhile.
    if (policies.length > 0 && !this.peers?.synced) return;
    const rules = computeNetworkPolicyRules({
      policies,
      pods: policies.length > 0 ? this.peers!.pods.list() : [],
      namespaces: policies.length > 0 ? this.peers!.namespaces.list() : [],
      nodeName: this.o.nodeName,
      tag: this.names.tag,
    });
    const existing = this.ourChains ?? chainsInSave(await this.ipt.save('filter'), this.names.prefix);
    const input = restoreInput({ nat: { chains: [], rules: [] }, filter: rules }, { nat: [], filter: existing });
    // Unchanged rules need no restore and no look at FORWARD (a resync forgets what was applied; the
    // periodic check catches the jump being moved meanwhile).
    if (input !== this.lastApplied) {
      await this.ipt.restore(input);
      this.lastApplied = input;
      this.ourChains = rules.chains;
      this.restoreCount++;
      if (!(await this.hookIsFirst())) {
        const hook = policyHookRule(this.names);
        await this.ipt.remove(hook);
        await this.ipt.ensure(hook);
      }
    }
    this.syncCount++;
  }

  /** Waits for the sync asked for by now (tests). */
  async settled(): Promise<void> {
    const target = this.syncCount + 1;
    this.runner.request();
    while (this.syncCount < target && !this.stopped) await new Promise((r) => setTimeout(r, 20));
  }

  /** Stops watching and removes every rule and chain this enforcer made. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.stopTimers?.();
    if (this.ownInformers) this.informers.stop();
    await this.runner.stop();
    await removeNetworkPolicyRules(this.o.instance, this.o.commandPrefix);
  }
}
