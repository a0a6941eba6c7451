// Storage on etcd, for several apiservers sharing one replicated store. etcd is the log; this process
// keeps a replica of everything under the prefix in the shared in-memory engine (engine.ts), fed by ONE
// etcd watch, and serves reads, LISTs and watch fan-out from it exactly as on LevelDB:
//   - start: a paged Range of `<prefix>/` pinned to one revision fills the replica, then one Watch from
//     the next revision with prev_kv keeps it current;
//   - resourceVersion = etcd's mod_revision; values are the object's JSON without resourceVersion;
//   - create = Txn(create_revision == 0 ? Put : Range), update/delete = Txn(mod_revision == expected
//     ? Put|Delete : Range): a stale write loses (ConflictError), another apiserver's lost update cannot
//     happen; a write is answered as soon as its Txn succeeds, with the object stamped at the Txn's
//     revision (as kube-apiserver does), so it does not also pay etcd's watch delivery;
//   - read-your-writes: until the replica has applied this process's answered writes, a get of a key
//     it wrote waits for that write's revision, and a list for the newest one under what it lists; so
//     a read here right after a write sees it, and the write's watch event may reach watchers after its
//     answer;
//   - consistent reads (waitForLatest): etcd's current revision, then wait for the replica to reach it.
//     Writes outside the prefix can leave revisions no event of ours carries; a marker write under the
//     prefix closes such a gap (etcd 3.4's progress_request answer is not ordered with the events);
//   - compaction: kube-apiserver's compactor (compactor.ts); every replica sees each compaction through
//     <prefix>/compact_rev_key and forgets the history before it (410 for older watches);
//   - a watch cancelled because its start was compacted (this replica fell that far behind) reloads the
//     replica and ends every watcher, whose clients relist after their 410.
import { EngineOptions, StorageEngine, stamp } from '../engine';
import {
  ConflictError,
  copyStored,
  goEscaped,
  KeyExistsError,
  KObj,
  ListOptions,
  ListResult,
  NotFoundError,
  ownBuffer,
  StorageEvent,
  StoredObject,
  TooLargeRevisionError,
} from '../types';
import { EtcdClient, EtcdTLS, WatchStream } from './client';
import { Compactor } from './compactor';
import type { KeyValue__Output } from './generated/mvccpb/KeyValue';
import type { Compare } from './generated/etcdserverpb/Compare';
import type { TxnResponse__Output } from './generated/etcdserverpb/TxnResponse';
import type { TxnRequest } from './generated/etcdserverpb/TxnRequest';
import type { WatchResponse__Output } from './generated/etcdserverpb/WatchResponse';
import { randomBytes } from 'node:crypto';
import { hasNamespace, KeyLayout, prefixEnd } from './keys';
import { RevisionWaiters } from './revision-waiters';
import { answerUnlessStalled, StallWatch } from './stall';

export interface EtcdStorageOptions extends EngineOptions {
  /** Member client URLs (http://host:port, https://host:port). */
  endpoints: string[];
  /** Key prefix (kube-apiserver's --etcd-prefix; default /registry). */
  prefix?: string;
  tls?: EtcdTLS;
  /** How often this apiserver tries to compact etcd (default 5 min, as kube-apiserver; 0: never). */
  compactionIntervalMs?: number;
  /** Buckets the apiserver uses (for decoding keys of other apiservers' writes before this one touches them). */
  buckets?: string[];
  /** Deadline of each etcd call, and of a write waiting for the replica (default 10 s). */
  timeoutMs?: number;
  /** How long a read waits for the replica to reach a revision (default 3 s, kube's watch cache blockTimeout). */
  freshnessTimeoutMs?: number;
  /** Log line sink (default stderr). */
  log?: (msg: string) => void;
  /** Told of every etcd request an object write makes (each attempt of it): kube's etcd_request_* metrics. */
  recordRequest?: EtcdRequestRecorder;
}

/** An object write's etcd request: its operation, the object's bucket, how long etcd took, whether it answered. */
export type EtcdRequestRecorder = (operation: EtcdWriteOperation, bucket: string, seconds: number, answered: boolean) => void;
export type EtcdWriteOperation = 'create' | 'update' | 'delete';

/** How every encrypted value starts (kube's k8s:enc:<provider>:v1:<key>: prefix). */
const ENCRYPTED_PREFIX = Buffer.from('k8s:enc:');

/** Objects per Range page at start (kube's cacher lists 10,000 per page; pods are ~2-4 KiB). */
const LOAD_PAGE = 2_000;
/** The longest a read waits for events before it assumes a gap and writes a marker. */
const GAP_WAIT_MS = 150;
/** A watch quiet this long while the replica is behind etcd's revision: a gap (see reach). */
const GAP_QUIET_MS = 25;
/**
 * A write Txn that etcd has not answered for this long, while nothing else from etcd (another Txn's
 * answer, a watch event) arrived either, is sent again to the member in use. A member that forwarded a
 * write to a leader that just died never answers it (etcd times it out after 7 s), but forwards the
 * repeat to the leader elected next; with etcd's 1 s election, writes then resume within about 2 s of a
 * leader's death. (A member that dies itself resets its connection: the client moves on at once.) An etcd that is merely slow keeps
 * answering something, so its writes are waited for, not repeated — unless what it answers comes from
 * a leader elected after the write was sent (see stallWatch). Sending a compare-and-swap again is
 * safe: see sendPut.
 */
const WRITE_STALL_MS = 500;
/**
 * Once an attempt of a write has stalled, the member is known to be cut off from a leader; the next
 * attempts are given less: the first to reach the new leader answers at once, so the write resumes within
 * this long of etcd's election instead of up to WRITE_STALL_MS after it.
 */
const WRITE_RESTALL_MS = 150;
/** The pause after an attempt that failed at once (a member that knows it has no leader). */
const WRITE_RETRY_PAUSE_MS = 50;
/** Errors after which a write may not have run, or ran with its answer lost: it is sent again. */
const WRITE_RETRY_CODES = new Set<number>([14 /* UNAVAILABLE */, 4 /* DEADLINE_EXCEEDED */]);
/** Watch reconnect backoff. */
const RECONNECT_MIN_MS = 50;
// Kept short: a watch refused while the members elect a leader must be back soon after the election, as
// reads of this apiserver's own writes wait for the replica to apply them.
const RECONNECT_MAX_MS = 200;

/** A write of this process in flight: the watch event it causes reuses its object instead of parsing. */
interface PendingWrite {
  kind: 'put' | 'delete';
  /** The bytes stored in etcd (encrypted when the bucket is). */
  value?: Buffer;
  /** The object's JSON, before any encryption. */
  plain?: Buffer;
  obj?: KObj;
  /** The object's JSON with a placeholder resourceVersion at [rvAt, rvEnd): the stored bytes once the revision is known. */
  text?: string;
  rvAt?: number;
  rvEnd?: number;
  /**
   * The revision the write was applied at, once known (from the Txn answer or the watch event). A write
   * answered before the replica applied it stays listed until then: reads of its key wait for rev.
   */
  rev?: number;
  stored?: StoredObject;
}

const utf8 = (b: Buffer | undefined) => (b ? b.toString('utf8') : '');

/**
 * What a put writes as resourceVersion while it encodes the object once: the JSON without the field is
 * the value for etcd, the JSON with the revision in its place the stored bytes. Random per process, so
 * that no object's own content can be taken for it.
 */
const RV_PLACEHOLDER = `steer-rv-${randomBytes(16).toString('hex')}`;
const RV_FIELD = `"resourceVersion":${JSON.stringify(RV_PLACEHOLDER)}`;

/**
 * The object's JSON once, with the placeholder where resourceVersion goes (where stamp puts it: the
 * field is in place, undefined): the etcd value (the text without the field, as JSON.stringify writes
 * an undefined one) and where to put the revision.
 */
function encodeWithoutRevision(obj: KObj): { plain: string; text?: string; rvAt?: number; rvEnd?: number } {
  const md = obj.metadata;
  md.resourceVersion = RV_PLACEHOLDER;
  let text: string;
  try {
    text = JSON.stringify(obj);
  } finally {
    md.resourceVersion = undefined;
  }
  const at = text.indexOf(RV_FIELD);
  if (at < 0) return { plain: JSON.stringify(obj) };
  const end = at + RV_FIELD.length;
  // The field and one comma next to it: after it, or before it when it is the last field.
  let plain: string;
  if (text.charCodeAt(end) === 44) plain = text.slice(0, at) + text.slice(end + 1);
  else if (text.charCodeAt(at - 1) === 44) plain = text.slice(0, at - 1) + text.slice(end);
  else plain = text.slice(0, at) + text.slice(end);
  return { plain, text, rvAt: at, rvEnd: end };
}

/** Cancels a watch stream whose events are no longer wanted (its cancellation error included). */
function dropStream(stream: WatchStream): void {
  stream.removeAllListeners();
  stream.on('error', () => undefined);
  stream.cancel();
}

export class EtcdStorage extends StorageEngine {
  readonly client: EtcdClient;
  private readonly layout: KeyLayout;
  private readonly rootKey: Buffer;
  private readonly rootEnd: Buffer;
  private readonly compactor: Compactor;
  private readonly markerKey: string;
  private readonly timeoutMs: number;
  private readonly freshnessMs: number;
  private readonly log: (msg: string) => void;
  private readonly inFlight = new Map<string, PendingWrite[]>();
  /** Writes of this process answered before the replica applied them (still in inFlight). */
  private unapplied: Array<{ etcdKey: string; p: PendingWrite }> = [];
  /** The newest revision of a write this process has answered: lists wait for the replica to reach it. */
  private ownRev = 0;
  private readonly waiters = new RevisionWaiters(() => this.rev);
  private stream: WatchStream | undefined;
  private watchId: string | undefined;
  private reconnectDelay = RECONNECT_MIN_MS;
  /** When etcd last answered this storage (a Txn, a watch message): whether it is making progress. */
  private lastHeardAt = 0;
  /** When the watch last delivered a message (events, progress): a replica behind etcd but quiet has a gap. */
  private lastWatchMessageAt = 0;
  /** The newest raft term etcd's answers have carried (it grows when a new leader is elected). */
  private raftTerm = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private reloading = false;
  private isClosed = false;
  /** The revision etcd was last compacted to, as far as this apiserver knows. */
  private lastCompacted = 0;
  private revisionQuery: Promise<number> | undefined;
  private queuedRevisionQuery: Promise<number> | undefined;
  private markerWrite: Promise<number> | undefined;
  private warnedUndecodable = false;
  /**
   * What tells a stalled write attempt (stall.ts) from one whose answer is on its way, for an attempt
   * sent at raft term `term`. Answers from a later term do not count: they come from a leader elected
   * after the attempt was sent, and the attempt itself may have gone to the dead one (a member
   * forwards a write to its leader; one forwarded to a leader that died is never answered).
   */
  private stallWatch(term: number): StallWatch {
    return { lastHeardAt: () => (this.raftTerm > term ? 0 : this.lastHeardAt), isClosed: () => this.isClosed };
  }

  /** Notes an answer from etcd: when, and the raft term its header carries. */
  private heard(header: { raft_term?: string } | null | undefined): void {
    this.lastHeardAt = Date.now();
    const term = Number(header?.raft_term ?? 0);
    if (term > this.raftTerm) this.raftTerm = term;
  }

  private constructor(private readonly opts: EtcdStorageOptions) {
    super(opts);
    this.client = new EtcdClient({ endpoints: opts.endpoints, tls: opts.tls, timeoutMs: opts.timeoutMs });
    this.layout = new KeyLayout(opts.prefix, opts.buckets);
    this.rootKey = Buffer.from(this.layout.root);
    this.rootEnd = prefixEnd(this.rootKey);
    this.log = opts.log ?? ((msg) => process.stderr.write(`${new Date().toISOString()} etcd storage: ${msg}\n`));
    this.compactor = new Compactor(this.client, this.layout.internalKey('compact_rev_key'), this.log);
    this.markerKey = this.layout.internalKey('sync_marker');
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.freshnessMs = opts.freshnessTimeoutMs ?? 3_000;
  }

  /** Connects, loads everything under the prefix and starts following it. */
  static async open(opts: EtcdStorageOptions): Promise<EtcdStorage> {
    const s = new EtcdStorage(opts);
    try {
      const { objects, rev, compacted } = await s.loadAll();
      s.restore(objects, rev, []);
      if (compacted) s.lastCompacted = compacted;
      s.startWatch();
      s.compactor.start(opts.compactionIntervalMs ?? 5 * 60_000);
      return s;
    } catch (err) {
      s.isClosed = true;
      s.client.close();
      throw err;
    }
  }

  // ---- loading ------------------------------------------------------------------------------------

  /** Every object under the prefix at one revision (paged, each page pinned to the first's revision). */
  private async loadAll(): Promise<{ objects: Array<{ bucket: string; key: string; stored: StoredObject }>; rev: number; compacted: number }> {
    const objects: Array<{ bucket: string; key: string; stored: StoredObject }> = [];
    let rev = 0;
    let compacted = 0;
    let from: Buffer = this.rootKey;
    for (;;) {
      const res = await this.client.range({ key: from, range_end: this.rootEnd, limit: LOAD_PAGE, revision: rev });
      if (!rev) rev = Number(res.header?.revision ?? 0);
      for (const kv of res.kvs) {
        const k = utf8(kv.key);
        if (k === this.compactor.key) {
          compacted = Number(utf8(kv.value)) || 0;
          continue;
        }
        const d = this.decodeKv(kv);
        if (d) objects.push(d);
      }
      if (!res.more || !res.kvs.length) break;
      from = Buffer.concat([res.kvs[res.kvs.length - 1].key, Buffer.from([0])]);
    }
    return { objects, rev, compacted };
  }

  /** An object from etcd, stamped with its mod_revision; undefined for keys that hold no object of ours. */
  private decodeKv(kv: KeyValue__Output | null | undefined): { bucket: string; key: string; stored: StoredObject } | undefined {
    if (!kv) return undefined;
    const read = this.read(utf8(kv.key), kv.value);
    return read && { bucket: read.bucket, key: read.key, stored: stamp(read.obj, Number(kv.mod_revision)) };
  }

  /**
   * The object an etcd key holds, with its bucket and key (decrypted when it was stored encrypted);
   * undefined for the storage's own keys and for values that hold no object of ours.
   */
  private read(etcdKey: string, value: Buffer | Uint8Array | undefined): { bucket: string; key: string; obj: KObj } | undefined {
    if (!value?.length) return undefined;
    const bytes = Buffer.isBuffer(value) ? value : Buffer.from(value);
    const t = this.opts.transformer;
    if (bytes.subarray(0, ENCRYPTED_PREFIX.length).equals(ENCRYPTED_PREFIX)) {
      // The bucket picks the providers; a three-segment key of a bucket this process has not learned may
      // be either shape, and only the right one decrypts (the key is the authenticated context).
      const shapes = [this.layout.decode(etcdKey, () => true), this.layout.decode(etcdKey, () => false)];
      for (const where of shapes) {
        if (!where || !t) continue;
        try {
          const obj = this.parse(t.fromStorage(where.bucket, etcdKey, bytes), etcdKey);
          if (obj) return { ...where, obj };
        } catch {
          // not this shape, or a key the configuration no longer has
        }
      }
      this.warnUndecodable(etcdKey, t ? 'cannot be decrypted with the encryption configuration' : 'is encrypted but no encryption configuration is given');
      return undefined;
    }
    const obj = this.parse(bytes, etcdKey);
    if (!obj) return undefined;
    const where = this.layout.decode(etcdKey, () => hasNamespace(obj));
    if (!where) return undefined;
    if (t) {
      try {
        // A plain value of a bucket that must be encrypted is readable only while identity is listed.
        t.fromStorage(where.bucket, etcdKey, bytes);
      } catch (err) {
        this.warnUndecodable(etcdKey, (err as Error).message);
        return undefined;
      }
    }
    return { ...where, obj };
  }

  private parse(bytes: Buffer, etcdKey: string): KObj | undefined {
    try {
      const obj = JSON.parse(bytes.toString('utf8')) as KObj;
      if (obj && typeof obj === 'object' && obj.metadata && typeof obj.metadata === 'object') return obj;
    } catch {
      // not JSON: not written by steer
    }
    this.warnUndecodable(etcdKey, 'holds no JSON object');
    return undefined;
  }

  private warnUndecodable(etcdKey: string, why: string): void {
    if (this.warnedUndecodable) return;
    this.warnedUndecodable = true;
    this.log(`ignoring ${etcdKey} (it ${why}) and other such keys under ${this.layout.root}`);
  }

  // ---- the watch that feeds the replica ----------------------------------------------------------

  private startWatch(): void {
    if (this.isClosed) return;
    const { stream, endpoint, failed } = this.client.openWatch();
    this.stream = stream;
    this.watchId = undefined;
    let ended = false;
    const retry = (why: string) => {
      if (ended) return;
      ended = true;
      if (this.stream === stream) this.stream = undefined;
      dropStream(stream);
      if (this.isClosed) return;
      failed();
      this.log(`watch on ${endpoint} ended (${why}); resuming from revision ${this.rev + 1}`);
      this.reconnectTimer = setTimeout(() => {
        this.reconnectTimer = undefined;
        this.startWatch();
      }, this.reconnectDelay);
      this.reconnectDelay = Math.min(this.reconnectDelay * 2, RECONNECT_MAX_MS);
    };
    stream.on('data', (res: WatchResponse__Output) => {
      this.heard(res.header);
      this.lastWatchMessageAt = this.lastHeardAt;
      try {
        this.onWatchResponse(res, retry);
      } catch (err) {
        retry(`applying an event failed: ${(err as Error).message}`);
      }
    });
    stream.on('error', (err: Error) => retry(err.message));
    stream.on('end', () => retry('stream closed'));
    stream.write({
      create_request: {
        key: this.rootKey,
        range_end: this.rootEnd,
        start_revision: this.rev + 1,
        prev_kv: true,
        // Periodic progress notifications travel with the events (unlike 3.4's progress_request answer):
        // they move an idle replica past revisions written outside the prefix.
        progress_notify: true,
      },
    });
  }

  private onWatchResponse(res: WatchResponse__Output, retry: (why: string) => void): void {
    if (res.created) {
      this.watchId = res.watch_id;
      this.reconnectDelay = RECONNECT_MIN_MS;
    }
    if (res.canceled) {
      const compactRev = Number(res.compact_revision);
      if (compactRev > 0) {
        // The revision to resume from is compacted: what happened in between is lost; reload.
        void this.reload(compactRev);
        return;
      }
      retry(`cancelled${res.cancel_reason ? `: ${res.cancel_reason}` : ''}`);
      return;
    }
    if (res.events.length) {
      for (const ev of res.events) this.applyEvent(ev.type, ev.kv, ev.prev_kv);
    } else if (!res.created && res.watch_id === this.watchId && res.header) {
      // A progress notification for our watch: every event up to this revision has been sent.
      this.advanceRevision(Number(res.header.revision));
    }
    this.waiters.wake();
    this.forgetApplied();
  }

  private applyEvent(type: string, kv: KeyValue__Output | null, prevKv: KeyValue__Output | null): void {
    if (!kv) return;
    const rev = Number(kv.mod_revision);
    if (rev < this.rev) return; // already applied (a reload overtook the stream)
    const etcdKey = utf8(kv.key);
    if (etcdKey === this.compactor.key) {
      const compacted = Number(utf8(kv.value)) || 0;
      if (type === 'PUT' && compacted > 0) {
        this.lastCompacted = Math.max(this.lastCompacted, compacted);
        this.compactTo(compacted);
      }
      this.advanceRevision(rev);
      return;
    }
    if (type === 'PUT') {
      const p = this.takePending(etcdKey, 'put', rev, kv.value);
      let stored: StoredObject | undefined;
      if (p) stored = this.settle(p, rev);
      const read = stored ? undefined : this.read(etcdKey, kv.value);
      const where = stored ? this.layout.decode(etcdKey, () => hasNamespace(stored!.obj)) : read;
      if (!where) return this.advanceRevision(rev);
      stored ??= stamp(read!.obj, rev);
      const created = Number(kv.create_revision) === rev;
      const prev = created ? undefined : (this.getSync(where.bucket, where.key) ?? this.decodeKv(prevKv as KeyValue__Output)?.stored);
      this.applyCommitted({ type: created ? 'ADDED' : 'MODIFIED', rev, bucket: where.bucket, key: where.key, object: stored, prev });
      return;
    }
    // DELETE: kv holds only the key; the last state is prev_kv (or the replica's copy).
    const where = this.layout.decode(etcdKey, () => hasNamespace(this.decodeKv(prevKv)?.stored.obj));
    const prev = where ? (this.getSync(where.bucket, where.key) ?? this.decodeKv(prevKv)?.stored) : undefined;
    if (!where || !prev) return this.advanceRevision(rev);
    // A deleted object is reported with the revision of its deletion, as Kubernetes does.
    const last = stamp(copyStored(prev), rev);
    const p = this.takePending(etcdKey, 'delete', rev);
    if (p) {
      p.rev = rev;
      p.stored = last;
    }
    this.applyCommitted({ type: 'DELETED', rev, bucket: where.bucket, key: where.key, object: last, prev });
  }

  /** Reloads the replica after its watch fell behind a compaction; every watcher is ended. */
  private async reload(compactRev: number): Promise<void> {
    if (this.reloading || this.isClosed) return;
    this.reloading = true;
    if (this.stream) dropStream(this.stream);
    this.stream = undefined;
    this.log(`resuming at revision ${this.rev + 1} is impossible (compacted at ${compactRev}): reloading`);
    for (let delay = RECONNECT_MIN_MS; !this.isClosed; delay = Math.min(delay * 2, RECONNECT_MAX_MS)) {
      try {
        const { objects, rev, compacted } = await this.loadAll();
        this.lastCompacted = Math.max(this.lastCompacted, compacted, compactRev);
        this.resetState(objects, rev);
        break;
      } catch (err) {
        this.log(`reload failed: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, delay));
      }
    }
    this.reloading = false;
    this.waiters.wake();
    this.forgetApplied();
    this.startWatch();
  }

  // ---- waiting for the replica --------------------------------------------------------------------

  /** Resolves once the replica has applied rev; rejects after timeoutMs. */
  private waitFor(rev: number, timeoutMs: number): Promise<void> {
    return this.waiters.wait(rev, timeoutMs);
  }

  /**
   * Waits until the replica reflects revision rev, which need not be the revision of an event under the
   * prefix (a list's revision from another apiserver, etcd's current revision). When events do not get
   * there soon, a marker written under the prefix does: its event comes after every earlier revision.
   * Events still on their way keep the watch busy; revisions written outside the prefix (another
   * program's keys, a raw Txn) leave it silent. So the marker is written once the watch has been quiet
   * for GAP_QUIET_MS with the replica still behind, or after GAP_WAIT_MS at the most: a read right after
   * such a write waits a few ms for it, not GAP_WAIT_MS (with every read that comes meanwhile).
   */
  private async reach(rev: number, timeoutMs = this.freshnessMs): Promise<void> {
    if (this.rev >= rev) return;
    // A revision this process wrote under the prefix itself: its event is on its way, no marker needed.
    if (rev <= this.ownRev) return this.waitFor(rev, timeoutMs);
    const started = Date.now();
    const deadline = started + timeoutMs;
    for (let ioRead = false; this.rev < rev; ) {
      const now = Date.now();
      const quiet = now - Math.max(this.lastWatchMessageAt, started);
      const waitLeft = Math.min(GAP_QUIET_MS - quiet, GAP_WAIT_MS - (now - started), deadline - now);
      if (waitLeft <= 0) {
        if (ioRead) break;
        // A busy process reaches its timers before the messages waiting in its sockets: read them first.
        await new Promise((r) => setImmediate(r));
        ioRead = true;
        continue;
      }
      ioRead = false;
      try {
        await this.waitFor(rev, waitLeft);
        return;
      } catch {
        // still behind: a gap, or a slow stream
      }
    }
    while (this.rev < rev) {
      if (Date.now() >= deadline) throw new TooLargeRevisionError(rev, this.rev);
      const marker = await this.writeMarker(deadline - Date.now());
      await this.waitFor(Math.min(marker, rev), deadline - Date.now());
    }
  }

  /**
   * One marker write at a time, shared by every reader waiting for one; sent again like any write when
   * etcd does not answer it (sendTxn: a member that forwarded it to a dead leader never would).
   */
  private writeMarker(timeoutMs: number): Promise<number> {
    if (!this.markerWrite) {
      const put = { request_put: { key: Buffer.from(this.markerKey), value: Buffer.alloc(0) } };
      this.markerWrite = this.sendTxn({ compare: [], success: [put], failure: [] }, timeoutMs)
        .then(({ res }) => Number(res.header?.revision ?? 0))
        .finally(() => {
          this.markerWrite = undefined;
        });
    }
    return this.markerWrite;
  }

  /**
   * etcd's current revision from a linearizable read that started after the call. Concurrent callers
   * share reads: one in flight, and one queued for those who came after it was sent.
   */
  private storeRevision(): Promise<number> {
    const query = (): Promise<number> => {
      const q = this.client.range({ key: Buffer.from(this.markerKey), count_only: true }).then((r) => Number(r.header?.revision ?? 0));
      const done = () => {
        if (this.revisionQuery === q) this.revisionQuery = undefined;
      };
      q.then(done, done);
      return q;
    };
    if (!this.revisionQuery) return (this.revisionQuery = query());
    if (!this.queuedRevisionQuery) {
      const after = this.revisionQuery;
      this.queuedRevisionQuery = after
        .catch(() => 0)
        .then(() => {
          this.queuedRevisionQuery = undefined;
          return (this.revisionQuery = query());
        });
    }
    return this.queuedRevisionQuery;
  }

  /** The store answers (a count-only Range, as kube's etcd check does a Get); the caller bounds the wait. */
  override async healthCheck(): Promise<void> {
    this.checkOpen();
    await this.storeRevision();
  }

  override async waitForLatest(): Promise<number> {
    this.checkOpen();
    const rev = await this.storeRevision();
    await this.reach(rev);
    return this.rev;
  }

  // ---- reads --------------------------------------------------------------------------------------

  override async get(bucket: string, key: string): Promise<StoredObject | undefined> {
    this.layout.learn(bucket);
    // Only a write of this key matters: waiting for every write of ours would make each read-modify-write
    // pay the watch delivery of all the others in flight (a stale copy of another key is what any
    // replica may serve; a write based on it loses its compare-and-swap).
    if (this.ownRev > this.rev) {
      const own = this.ownWriteOf(this.layout.objectKey(bucket, key));
      if (own > this.rev) await this.waitFor(own, this.timeoutMs);
    }
    return this.getSync(bucket, key);
  }

  override async list(bucket: string, opts: ListOptions = {}): Promise<ListResult> {
    this.layout.learn(bucket);
    // A page's revision from another apiserver may be ahead of this replica.
    if (opts.rev && opts.rev > this.rev) await this.reach(opts.rev);
    // A fresh list reflects every write this apiserver has answered to what it lists. Only those: waiting
    // for every write of ours would make each write whose admission lists something (ResourceQuota lists
    // the namespace's quotas on every create) wait for the watch delivery of all the others answered.
    else if (!opts.rev && this.ownRev > this.rev) {
      const own = this.ownWriteUnder(this.layout.objectKey(bucket, opts.prefix ?? ''));
      if (own > this.rev) await this.waitFor(own, this.timeoutMs);
    }
    return this.listSync(bucket, opts);
  }

  override watch(bucket: string, fromRev: number, onEvent: (ev: StorageEvent) => void, prefix?: string, onGone?: () => void) {
    this.layout.learn(bucket);
    return super.watch(bucket, fromRev, onEvent, prefix, onGone);
  }

  // ---- writes -------------------------------------------------------------------------------------

  private addPending(etcdKey: string, p: PendingWrite): PendingWrite {
    const list = this.inFlight.get(etcdKey);
    if (list) list.push(p);
    else this.inFlight.set(etcdKey, [p]);
    return p;
  }

  private removePending(etcdKey: string, p: PendingWrite): void {
    const list = this.inFlight.get(etcdKey);
    if (!list) return;
    const i = list.indexOf(p);
    if (i >= 0) list.splice(i, 1);
    if (!list.length) this.inFlight.delete(etcdKey);
  }

  /** The newest revision of an answered write of ours to this key the replica may not have applied (0: none). */
  private ownWriteOf(etcdKey: string): number {
    let rev = 0;
    for (const p of this.inFlight.get(etcdKey) ?? []) if (p.rev !== undefined && p.rev > rev) rev = p.rev;
    return rev;
  }

  /** The newest revision of an answered write of ours under this key prefix the replica has not applied (0: none). */
  private ownWriteUnder(etcdPrefix: string): number {
    let rev = 0;
    for (const u of this.unapplied) if (u.p.rev !== undefined && u.p.rev > rev && u.etcdKey.startsWith(etcdPrefix)) rev = u.p.rev;
    return rev;
  }

  /**
   * A write of ours is answered at rev: until the replica has applied rev, it stays pending (reads of
   * its key wait for it, its watch event reuses its object). Returns whether it stays.
   */
  private answered(etcdKey: string, p: PendingWrite, rev: number): boolean {
    p.rev = rev;
    if (rev > this.ownRev) this.ownRev = rev;
    if (rev <= this.rev) return false;
    this.unapplied.push({ etcdKey, p });
    return true;
  }

  /** Drops the answered writes the replica has applied (answers come nearly in revision order). */
  private forgetApplied(): void {
    if (!this.unapplied.length || (this.unapplied[0].p.rev ?? 0) > this.rev) return;
    const still: Array<{ etcdKey: string; p: PendingWrite }> = [];
    for (const u of this.unapplied) {
      if ((u.p.rev ?? 0) <= this.rev) this.removePending(u.etcdKey, u.p);
      else still.push(u);
    }
    this.unapplied = still;
  }

  /**
   * This process's write an event at rev stands for: same key, same bytes, and either its Txn has not
   * answered yet or it answered with rev.
   */
  private takePending(etcdKey: string, kind: 'put' | 'delete', rev: number, value?: Buffer): PendingWrite | undefined {
    const list = this.inFlight.get(etcdKey);
    if (!list) return undefined;
    return list.find((p) => p.kind === kind && (p.rev === undefined || p.rev === rev) && (kind === 'delete' || (value && p.value?.equals(value))));
  }

  /** The stored object of a put of ours applied at rev (stamped once, shared by replica and caller). */
  private settle(p: PendingWrite, rev: number): StoredObject {
    if (p.rev === undefined) {
      p.rev = rev;
      const obj = p.obj as KObj;
      if (p.text !== undefined && p.rvAt !== undefined && p.rvEnd !== undefined) {
        // What stamp makes, without encoding the object again.
        obj.metadata.resourceVersion = String(rev);
        p.stored = { rev, obj, bytes: ownBuffer(goEscaped(`${p.text.slice(0, p.rvAt)}"resourceVersion":"${rev}"${p.text.slice(p.rvEnd)}`)) };
        p.text = undefined;
      } else p.stored = stamp(obj, rev);
    }
    if (p.rev === rev && p.stored) return p.stored;
    // Two identical writes of ours to one key crossed: this one's object is a copy.
    return stamp(JSON.parse(utf8(p.plain)) as KObj, rev);
  }

  private async rejectAfterCatchUp(res: TxnResponse__Output, err: Error): Promise<never> {
    // The replica must see what made the write fail before the caller reads again and retries.
    const kv = res.responses[0]?.response_range?.kvs?.[0];
    try {
      if (kv) await this.waitFor(Number(kv.mod_revision), this.freshnessMs);
      else await this.reach(Number(res.header?.revision ?? 0));
    } catch {
      // the error stands either way
    }
    throw err;
  }

  private guard(etcdKey: Buffer, expectedRev: number | undefined): Compare {
    return expectedRev !== undefined
      ? { key: etcdKey, target: 'MOD', result: 'EQUAL', mod_revision: expectedRev }
      : { key: etcdKey, target: 'CREATE', result: 'GREATER', create_revision: 0 };
  }

  private async put(operation: 'create' | 'update', bucket: string, key: string, obj: KObj, compare: (k: Buffer) => Compare, onFail: (kv: KeyValue__Output | undefined) => Error): Promise<StoredObject> {
    this.checkOpen();
    this.layout.learn(bucket);
    const etcdKey = this.layout.objectKey(bucket, key);
    const k = Buffer.from(etcdKey);
    // Left in place (undefined is not written) so that the stamp keeps the field where it was.
    const encoded = encodeWithoutRevision(obj);
    const plain = Buffer.from(encoded.plain);
    const t = this.opts.transformer;
    const value = t?.covers(bucket) ? t.toStorage(bucket, etcdKey, plain) : plain;
    const p = this.addPending(etcdKey, { kind: 'put', value, plain, obj, text: encoded.text, rvAt: encoded.rvAt, rvEnd: encoded.rvEnd });
    let kept = false;
    try {
      const res = await this.sendPut(k, value, compare(k), { operation, bucket });
      if (!res.succeeded) return await this.rejectAfterCatchUp(res, onFail(res.responses[0]?.response_range?.kvs?.[0]));
      const rev = Number(res.header?.revision);
      const stored = this.settle(p, rev);
      kept = this.answered(etcdKey, p, rev);
      return stored;
    } finally {
      if (!kept) this.removePending(etcdKey, p);
    }
  }

  /**
   * The Txn of a put, sent again while attempts fail without an answer (a member or leader died). When
   * an earlier attempt may have committed, a later attempt's failed compare is checked against the
   * stored value: the very bytes of this write (uid, timestamps and all) mean the earlier attempt won,
   * and the write succeeded at that revision; anything else is a real conflict.
   */
  private async sendPut(k: Buffer, value: Buffer, compare: Compare, write: { operation: EtcdWriteOperation; bucket: string }): Promise<TxnResponse__Output> {
    const req = { compare: [compare], success: [{ request_put: { key: k, value } }], failure: [{ request_range: { key: k } }] };
    const { res, uncertain } = await this.sendTxn(req, this.timeoutMs, write);
    const kv = res.responses[0]?.response_range?.kvs?.[0];
    if (!res.succeeded && uncertain && kv && Buffer.from(kv.value).equals(value)) {
      return { ...res, succeeded: true, header: { ...res.header!, revision: kv.mod_revision } };
    }
    return res;
  }

  /**
   * A compare-and-swap Txn, sent again while attempts fail without an answer (a member or leader died).
   * uncertain: an earlier attempt may have committed, so a failed compare may be this very write's doing
   * (its caller tells). An attempt left behind (stalled) keeps running: should it commit after all, the
   * next attempt's compare fails, which its caller recognises.
   */
  private async sendTxn(req: TxnRequest, timeoutMs = this.timeoutMs, write?: { operation: EtcdWriteOperation; bucket: string }): Promise<{ res: TxnResponse__Output; uncertain: boolean }> {
    const deadline = Date.now() + timeoutMs;
    const record = write && this.opts.recordRequest;
    let uncertain = false;
    for (;;) {
      const started = Date.now();
      const term = this.raftTerm;
      const sentAt = record ? performance.now() : 0;
      const attempt = this.client.txn(req, Math.max(1, deadline - started)).then((res) => {
        this.heard(res.header);
        return res;
      });
      // Each attempt is measured until etcd answers it or fails it, a stalled one too (kube measures every etcd call).
      if (record) {
        const done = (answered: boolean) => () => record(write.operation, write.bucket, (performance.now() - sentAt) / 1000, answered);
        attempt.then(done(true), done(false));
      }
      attempt.catch(() => undefined);
      try {
        const outcome = await answerUnlessStalled(attempt, uncertain ? WRITE_RESTALL_MS : WRITE_STALL_MS, this.stallWatch(term));
        if (!outcome.answered) {
          uncertain = true;
          continue;
        }
        return { res: outcome.value, uncertain };
      } catch (err) {
        const code = (err as { code?: number }).code;
        if (code === undefined || !WRITE_RETRY_CODES.has(code) || Date.now() >= deadline || this.isClosed) throw err;
        uncertain = true;
        if (Date.now() - started < WRITE_RETRY_PAUSE_MS) await new Promise((r) => setTimeout(r, WRITE_RETRY_PAUSE_MS));
      }
    }
  }

  override create(bucket: string, key: string, obj: KObj): Promise<StoredObject> {
    return this.put('create', bucket, key, obj, (k) => ({ key: k, target: 'CREATE', result: 'EQUAL', create_revision: 0 }), () => new KeyExistsError(key));
  }

  override update(bucket: string, key: string, obj: KObj, expectedRev?: number): Promise<StoredObject> {
    return this.put('update', bucket, key, obj, (k) => this.guard(k, expectedRev), (kv) => (kv ? new ConflictError(key, Number(kv.mod_revision)) : new NotFoundError(key)));
  }

  override async delete(bucket: string, key: string, expectedRev?: number): Promise<StoredObject> {
    this.checkOpen();
    this.layout.learn(bucket);
    const etcdKey = this.layout.objectKey(bucket, key);
    const k = Buffer.from(etcdKey);
    const p = this.addPending(etcdKey, { kind: 'delete' });
    let kept = false;
    try {
      const { res, uncertain } = await this.sendTxn(
        {
          compare: [this.guard(k, expectedRev)],
          success: [{ request_delete_range: { key: k, prev_kv: true } }],
          failure: [{ request_range: { key: k } }],
        },
        this.timeoutMs,
        { operation: 'delete', bucket },
      );
      if (!res.succeeded) {
        const kv = res.responses[0]?.response_range?.kvs?.[0];
        if (uncertain && !kv) {
          // The key is gone: when an earlier attempt of ours deleted it, the replica matches the DELETE
          // event to this pending delete once it has caught up.
          await this.reach(Number(res.header?.revision ?? 0)).catch(() => undefined);
          if (p.rev !== undefined && p.stored) return p.stored;
        }
        return await this.rejectAfterCatchUp(res, kv ? new ConflictError(key, Number(kv.mod_revision)) : new NotFoundError(key));
      }
      const rev = Number(res.header?.revision);
      // The replica applied the delete already (its event came first): its last state is at hand.
      const last = p.rev === rev && p.stored ? p.stored : undefined;
      kept = this.answered(etcdKey, p, rev);
      if (last) return last;
      // Otherwise the last state is etcd's prev_kv, stamped with the delete's revision.
      const prev = this.read(etcdKey, res.responses[0]?.response_delete_range?.prev_kvs?.[0]?.value)?.obj;
      if (!prev) throw new NotFoundError(key);
      return stamp(prev, rev);
    } finally {
      if (!kept) this.removePending(etcdKey, p);
    }
  }

  // ---- compaction ---------------------------------------------------------------------------------

  /** One round of the compactor (compactor.ts), now. */
  compactionTick(): Promise<void> {
    return this.compactor.tick();
  }

  /** Compacts etcd to rev now, and tells every replica (through compact_rev_key) to forget what is older. */
  async compact(rev: number): Promise<void> {
    this.checkOpen();
    await this.waitFor(await this.compactor.compactNow(rev), this.timeoutMs);
  }

  /** The revision etcd was last compacted to, as far as this apiserver knows. */
  compactedStoreRevision(): number {
    return this.lastCompacted;
  }

  override async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    this.compactor.stop();
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    if (this.stream) dropStream(this.stream);
    this.stream = undefined;
    this.waiters.rejectAll(new Error('storage is closed'));
    this.unapplied = [];
    await super.close();
    this.client.close();
  }
}
