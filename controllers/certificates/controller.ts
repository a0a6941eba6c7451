// The CSR signer's loop (kube-controller-manager's csrsigning controller with --cluster-signing-cert-file
// and --cluster-signing-key-file): CertificateSigningRequests from the shared informer; an approved
// request for a well-known signer gets its certificate, signed by the cluster CA, or a Failed condition,
// through /status. The CA is read once at start.
import * as fs from 'node:fs';
import type { CertificateSigningRequest } from 'kubernetes-types/certificates/v1';
import { Resources } from '../../lib/api/resources';
import { rfc3339 } from '../../lib/api/time';
import { isConflict, isNotFound } from '../../lib/client/client';
import { type Controller, type ControllerContext, runWorkers } from '../../lib/client/controller';
import type { Informer } from '../../lib/client/informer';
import { WorkQueue } from '../../lib/client/workqueue';
import { parseCertificateRequest, signCertificateRequest } from '../../lib/component/csr';
import type { CertKeyPem } from '../../lib/component/pki';
import { csrCleanupReason } from './cleaning';
import { awaitsSigning, DEFAULT_SIGNING_DURATION_MS, planSigning } from './signing';

export interface ClusterSigningOptions {
  /** --cluster-signing-cert-file and --cluster-signing-key-file: the CA that signs (PEM files). */
  certFile: string;
  keyFile: string;
  /** --cluster-signing-duration: the longest certificate issued (default a year). */
  durationMs?: number;
  workers?: number;
}

export class CertificateSigningController implements Controller {
  readonly name = 'csrsigning';
  private readonly queue = new WorkQueue<string>('certificate', { maxDelayMs: 30_000 });
  private readonly csrs: Informer<CertificateSigningRequest>;
  private ca?: CertKeyPem;
  private running?: Promise<void>;

  constructor(
    private readonly ctx: ControllerContext,
    private readonly o: ClusterSigningOptions,
  ) {
    this.csrs = ctx.informers.informerFor<CertificateSigningRequest>(Resources.certificatesigningrequests);
  }

  async start(): Promise<void> {
    this.ca = { cert: fs.readFileSync(this.o.certFile, 'utf8'), key: fs.readFileSync(this.o.keyFile, 'utf8') };
    const enqueue = (csr: CertificateSigningRequest) => {
      if (awaitsSigning(csr)) this.queue.add(csr.metadata!.name!);
    };
    this.csrs.onAdd(enqueue);
    this.csrs.onUpdate((_old, csr) => enqueue(csr));
    this.ctx.informers.start();
    await this.csrs.start();
    this.running = runWorkers(this.queue, this.o.workers ?? 2, (name) => this.sync(name), { controller: this.name });
  }

  stop(): void {
    this.queue.shutDown();
  }

  async stopped(): Promise<void> {
    await this.running;
  }

  async sync(name: string): Promise<void> {
    const csr = this.csrs.get(undefined, name);
    if (!csr || !awaitsSigning(csr)) return;
    // The apiserver checked the request on create; one that no longer parses is an error to retry.
    const req = parseCertificateRequest(Buffer.from(csr.spec.request, 'base64').toString('utf8'));
    const decision = planSigning(csr, req, this.o.durationMs ?? DEFAULT_SIGNING_DURATION_MS);
    if (decision.action === 'none') return;
    const next: CertificateSigningRequest = structuredClone(csr);
    const status = (next.status ??= {});
    if (decision.action === 'fail') {
      const now = rfc3339();
      status.conditions = [...(status.conditions ?? []), { type: 'Failed', status: 'True', reason: 'SignerValidationFailure', message: decision.message, lastUpdateTime: now, lastTransitionTime: now }];
    } else {
      const pem = await signCertificateRequest(this.ca!, req, { usages: decision.usages, durationMs: decision.durationMs });
      status.certificate = Buffer.from(pem).toString('base64');
    }
    try {
      // Conditional on the version read: a request changed meanwhile is synced again from its event.
      await this.ctx.client.update<CertificateSigningRequest>(Resources.certificatesigningrequests, next, 'status');
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
  }
}

export interface CsrCleanerOptions {
  /** How often every request is looked at (kube: an hour). */
  periodMs?: number;
  now?: () => number;
  log?: (msg: string) => void;
}

/**
 * The CSR cleaner's loop (kube's csrcleaner): every period, the requests csrCleanupReason calls
 * garbage are deleted (each on its own version: one changed meanwhile waits for the next round).
 */
export class CsrCleaner implements Controller {
  readonly name = 'csrcleaner';
  private readonly csrs: Informer<CertificateSigningRequest>;
  private timer?: NodeJS.Timeout;
  private sweeping?: Promise<void>;

  constructor(
    private readonly ctx: ControllerContext,
    private readonly o: CsrCleanerOptions = {},
  ) {
    this.csrs = ctx.informers.informerFor<CertificateSigningRequest>(Resources.certificatesigningrequests);
  }

  async start(): Promise<void> {
    this.ctx.informers.start();
    await this.csrs.start();
    this.timer = setInterval(() => void this.sweep(), this.o.periodMs ?? 3600_000);
    this.timer.unref();
    void this.sweep();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** One round; resolves when its deletes have been answered. */
  sweep(): Promise<void> {
    this.sweeping ??= (async () => {
      const now = (this.o.now ?? Date.now)();
      for (const csr of this.csrs.list()) {
        const why = csrCleanupReason(csr, now);
        if (!why) continue;
        try {
          await this.ctx.client.delete(Resources.certificatesigningrequests, undefined, csr.metadata!.name!, { preconditions: { uid: csr.metadata?.uid, resourceVersion: csr.metadata?.resourceVersion } });
          this.o.log?.(`csrcleaner: deleted ${csr.metadata!.name!}: ${why}`);
        } catch (err) {
          if (!isNotFound(err) && !isConflict(err)) this.o.log?.(`csrcleaner: ${csr.metadata!.name!}: ${(err as Error).message}`);
        }
      }
    })().finally(() => (this.sweeping = undefined));
    return this.sweeping;
  }
}
