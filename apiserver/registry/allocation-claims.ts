// Service ClusterIPs and NodePorts decided against the store, so that several apiservers sharing one
// store never hand out the same value twice. Each allocated value is a claim object — bucket
// serviceipclaims keyed by IP, nodeportclaims keyed by port — created with the storage's create-if-
// absent before the Service is written: the store's KeyExistsError, not this process's memory, says
// "taken". This is kube-apiserver's newer allocator (one IPAddress object per ClusterIP, created to
// allocate it, AlreadyExists = in use) applied to NodePorts too.
//
// A claim can outlive its Service's write (the apiserver died between the two writes, or a release
// failed): a repair pass — at start and every few minutes, on every apiserver — deletes claims no
// Service uses once it has seen them unused twice in a row (an in-flight write takes milliseconds, the
// passes minutes apart), and creates the claims of Services that lack them (a store migrated from an
// older steer). Every apiserver's in-memory allocator follows the claims through a watch, as a hint
// that keeps it from proposing values others hold.
import type { KObj, Storage, StoredObject, WatchSubscription } from '../storage/types';
import { KeyExistsError } from '../storage/types';
import { rfc3339 } from '../../lib/api/time';

export const IP_CLAIMS = 'serviceipclaims';
export const PORT_CLAIMS = 'nodeportclaims';
/** The buckets claims live in (the etcd storage decodes keys by the buckets it knows). */
export const CLAIM_BUCKETS = [IP_CLAIMS, PORT_CLAIMS];

export type ClaimKind = 'ip' | 'port';

export interface ClaimOwner {
  namespace: string;
  name: string;
  uid: string;
}

/** What a claim object holds besides its name (the value). */
interface ClaimObject extends KObj {
  owner: ClaimOwner;
}

const bucketOf = (kind: ClaimKind) => (kind === 'ip' ? IP_CLAIMS : PORT_CLAIMS);

export function ownerOf(svc: KObj): ClaimOwner {
  const md = svc.metadata;
  return { namespace: String(md.namespace ?? ''), name: String(md.name ?? ''), uid: String(md.uid ?? '') };
}

function claimOwner(stored: StoredObject | undefined): ClaimOwner | undefined {
  const o = (stored?.obj as ClaimObject | undefined)?.owner;
  return o && typeof o === 'object' ? o : undefined;
}

export class AllocationClaims {
  private subs: WatchSubscription[] = [];

  constructor(readonly storage: Storage) {}

  /**
   * Claims a value for a Service. Resolves true when the claim is the Service's (new, or one it holds
   * already), false when another Service's write holds it.
   */
  async claim(kind: ClaimKind, value: string, owner: ClaimOwner): Promise<boolean> {
    const obj: ClaimObject = { apiVersion: 'steer.io/v1', kind: 'AllocationClaim', metadata: { name: value, creationTimestamp: rfc3339() }, owner };
    try {
      await this.storage.create(bucketOf(kind), value, obj);
      return true;
    } catch (err) {
      if (!(err instanceof KeyExistsError)) throw err;
      const held = await this.storage.get(bucketOf(kind), value);
      return !!owner.uid && claimOwner(held)?.uid === owner.uid;
    }
  }

  /** Releases a value the Service held (only its own claim: a value may have been claimed again since). */
  async release(kind: ClaimKind, value: string, owner: ClaimOwner): Promise<void> {
    const held = await this.storage.get(bucketOf(kind), value);
    if (!held || claimOwner(held)?.uid !== owner.uid) return;
    try {
      await this.storage.delete(bucketOf(kind), value, held.rev);
    } catch {
      // changed meanwhile: the repair pass decides
    }
  }

  /** Every claimed value of a kind, as this apiserver knows them now. */
  async values(kind: ClaimKind): Promise<Array<{ value: string; rev: number }>> {
    return (await this.storage.list(bucketOf(kind))).items.map((s) => ({ value: String(s.obj.metadata.name), rev: s.rev }));
  }

  /**
   * Follows claims made and released by every apiserver: onReset with every current claim (now, and
   * again whenever the storage reloads and ends the watch), then each change.
   */
  async follow(onReset: (claimed: Record<ClaimKind, string[]>) => void, onChange: (kind: ClaimKind, value: string, claimed: boolean) => void): Promise<void> {
    this.stop();
    // The watches replay every change after rev, so the lists, read at rev or later, may not miss one.
    const rev = this.storage.currentRevision();
    const claimed = { ip: (await this.values('ip')).map((c) => c.value), port: (await this.values('port')).map((c) => c.value) };
    onReset(claimed);
    let restarted = false;
    const restart = () => {
      if (restarted) return;
      restarted = true;
      void this.follow(onReset, onChange).catch(() => undefined);
    };
    for (const kind of ['ip', 'port'] as const) {
      this.subs.push(this.storage.watch(bucketOf(kind), rev, (ev) => onChange(kind, ev.key, ev.type !== 'DELETED'), '', restart));
    }
  }

  /** Deletes a claim no Service uses, unless it changed since it was seen. */
  async drop(kind: ClaimKind, value: string, rev: number): Promise<void> {
    try {
      await this.storage.delete(bucketOf(kind), value, rev);
    } catch {
      // changed or gone meanwhile
    }
  }

  stop(): void {
    for (const s of this.subs) s.stop();
    this.subs = [];
  }
}
