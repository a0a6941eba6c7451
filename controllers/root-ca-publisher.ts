// The root CA publisher (kube-controller-manager's root-ca-cert-publisher): every namespace has a
// ConfigMap `kube-root-ca.crt` whose `ca.crt` is the cluster CA bundle, so pods can verify the
// apiserver (the ServiceAccount admission plugin projects it into every pod's token volume). The bundle
// is the controller manager's --root-ca-file, else the CA its own kubeconfig trusts — empty on a plain
// HTTP cluster, as Kubernetes publishes it. A changed or deleted ConfigMap is put back; terminating
// namespaces are left alone.
import * as fs from 'node:fs';
import type { ConfigMap, Namespace } from 'kubernetes-types/core/v1';
import { isAlreadyExists, isNotFound } from '../lib/client/client';
import { Controller, ControllerContext, runWorkers } from '../lib/client/controller';
import type { Informer } from '../lib/client/informer';
import { Resources } from '../lib/api/resources';
import { WorkQueue } from '../lib/client/workqueue';

export const RootCACertConfigMapName = 'kube-root-ca.crt';
export const DescriptionAnnotation = 'kubernetes.io/description';
export const Description =
  'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. ' +
  'No other usage is guaranteed across distributions of Kubernetes clusters.';

export interface RootCAPublisherOptions {
  /** The CA bundle (PEM) to publish. */
  rootCA?: string;
  /** --root-ca-file: read the bundle from here (wins over rootCA). */
  rootCAFile?: string;
  workers?: number;
}

/** The bundle to publish: the file, the given PEM, or the CA the controller manager's client trusts. */
export async function resolveRootCA(ctx: ControllerContext, o: RootCAPublisherOptions): Promise<string> {
  if (o.rootCAFile) return fs.readFileSync(o.rootCAFile, 'utf8');
  if (o.rootCA !== undefined) return o.rootCA;
  const ca = (await ctx.client.connectionOptions()).ca;
  if (!ca) return '';
  return (Array.isArray(ca) ? ca : [ca]).map((c) => c.toString()).join('');
}

export class RootCAPublisher implements Controller {
  readonly name = 'root-ca-cert-publisher';
  private readonly queue = new WorkQueue<string>('root_ca_cert_publisher', { maxDelayMs: 30_000 });
  private readonly namespaces: Informer<Namespace>;
  private readonly configMaps: Informer<ConfigMap>;
  private rootCA = '';
  private running?: Promise<void>;

  constructor(
    private readonly ctx: ControllerContext,
    private readonly o: RootCAPublisherOptions = {},
  ) {
    this.namespaces = ctx.informers.informerFor<Namespace>(Resources.namespaces);
    this.configMaps = ctx.informers.informerFor<ConfigMap>(Resources.configmaps);
  }

  async start(): Promise<void> {
    this.rootCA = await resolveRootCA(this.ctx, this.o);
    this.namespaces.onAdd((ns) => this.queue.add(ns.metadata!.name!));
    this.namespaces.onUpdate((_old, ns) => {
      if (ns.status?.phase === 'Active') this.queue.add(ns.metadata!.name!);
    });
    const cmChanged = (cm: ConfigMap) => {
      if (cm.metadata?.name === RootCACertConfigMapName && cm.metadata.namespace) this.queue.add(cm.metadata.namespace);
    };
    this.configMaps.onUpdate((_old, cm) => cmChanged(cm));
    this.configMaps.onDelete(cmChanged);
    this.ctx.informers.start();
    await Promise.all([this.namespaces.start(), this.configMaps.start()]);
    this.running = runWorkers(this.queue, this.o.workers ?? 2, (ns) => this.sync(ns), { controller: this.name });
  }

  stop(): void {
    this.queue.shutDown();
  }

  async stopped(): Promise<void> {
    await this.running;
  }

  /** syncNamespace: create the ConfigMap, or put its data and description back. */
  async sync(namespace: string): Promise<void> {
    const ns = this.namespaces.get(undefined, namespace);
    if (!ns || ns.metadata?.deletionTimestamp || (ns.status?.phase && ns.status.phase !== 'Active')) return;
    const data = { 'ca.crt': this.rootCA };
    const cm = this.configMaps.get(namespace, RootCACertConfigMapName);
    if (!cm) {
      try {
        await this.ctx.client.create<ConfigMap>(Resources.configmaps, namespace, {
          metadata: { name: RootCACertConfigMapName, annotations: { [DescriptionAnnotation]: Description } },
          data,
        });
      } catch (err) {
        // Already there (a cache behind the API), or the namespace went away meanwhile.
        if (isAlreadyExists(err) || isNotFound(err) || isTerminating(err)) return;
        throw err;
      }
      return;
    }
    const same = Object.keys(cm.data ?? {}).length === 1 && cm.data?.['ca.crt'] === this.rootCA;
    if (same && cm.metadata?.annotations?.[DescriptionAnnotation]) return;
    await this.ctx.client.update<ConfigMap>(Resources.configmaps, {
      ...cm,
      metadata: { ...cm.metadata, annotations: { ...(cm.metadata?.annotations ?? {}), [DescriptionAnnotation]: Description } },
      data,
    });
  }
}

function isTerminating(err: unknown): boolean {
  return /is being terminated|because it is being terminated/.test((err as Error)?.message ?? '');
}
