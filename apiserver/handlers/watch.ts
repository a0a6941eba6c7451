// Watch streams: newline-delimited {"type","object"} events from a resourceVersion, with label/field
// selectors applied (an object leaving the selection is DELETED, entering it is ADDED), bookmarks,
// timeoutSeconds and Table encoding for kubectl; also of another served version of a kind, converted.
// Each event is serialized once per encoding (and version) and shared by every watcher; each watcher
// batches its writes per tick. A watch asked with `Upgrade: websocket` gets each event as one text
// message instead (./websocket.ts: browsers, whose HTTP/1.1 connections per origin are few).
import type { Request, Response } from 'express';
import type { WebSocket } from 'ws';
import type { ResourceType } from '../../lib/api/resources';
import { groupVersion } from '../../lib/api/resources';
import { toTable } from '../tables';
import { ApiStatusError } from '../errors';
import { CompiledSelectors, Registry } from '../registry/registry';
import { goJSONText, type StorageEvent, type StoredObject, type WatchSubscription } from '../storage/types';
import { qBool, qInt, qs, sendError } from './request';
import { ProtobufWatchMediaType, wantsProtobuf } from './protobuf';
import { encodeWatchEvent, hasProtobufKind } from '../protobuf/codec';
import { acceptWebSocket, isWebSocketRequest } from './websocket';

export interface WatchHooks {
  onStart(rt: ResourceType): void;
  onEnd(rt: ResourceType): void;
  /** How often a watch that allows bookmarks gets one (default 10 s). */
  bookmarkIntervalMs?: number;
}

type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/**
 * A watch of another served version of a stored kind (autoscaling/v1 HPAs, batch/v1beta1 CronJobs):
 * each object is converted before it is written; bookmarks name the served version.
 */
export interface ServedVersion {
  rt: ResourceType;
  convert(obj: StoredObject['obj']): unknown;
}
type Encoding = 'json' | 'table' | 'protobuf';
/** One event as sent: a JSON line, or a length-prefixed protobuf frame. */
type Frame = string | Buffer;

/** Buffered output above which a watcher is considered stuck and is closed (it will re-watch). */
const MAX_BUFFERED_BYTES = 32 * 1024 * 1024;
const DEFAULT_BOOKMARK_INTERVAL_MS = 10_000;
/** Shortest time between two socket writes of one busy watch stream. */
const FLUSH_INTERVAL_MS = 10;
/**
 * A stream whose last flush came after this long without one is not busy: its next event is flushed at
 * once too. Twice the interval, so that a stream flushed every interval under steady load stays busy.
 */
const QUIET_MS = 2 * FLUSH_INTERVAL_MS;

/**
 * How long a watch stream holds an event before its socket write (0: at the next turn of the event
 * loop, with whatever else this turn sends): at once when the last flush is FLUSH_INTERVAL_MS old or
 * came after QUIET_MS without one, else until the interval since it is over.
 */
export function watchFlushDelay(sinceLastFlushMs: number, lastFlushAfterQuietMs: number): number {
  if (sinceLastFlushMs >= FLUSH_INTERVAL_MS || lastFlushAfterQuietMs >= QUIET_MS) return 0;
  return FLUSH_INTERVAL_MS - sinceLastFlushMs;
}

function tableJSON(rt: ResourceType, obj: unknown, rv: string, includeColumnDefinitions: boolean): string {
  const table = toTable(rt, [obj], { now: Date.now(), includeColumnDefinitions });
  table.metadata = { ...(table.metadata || {}), resourceVersion: rv };
  return goJSONText(table);
}

/** kube-apiserver's protobuf watch framing: a 4-byte big-endian length, then the event's envelope. */
function protobufFrame(type: string, obj: Record<string, unknown>): Buffer {
  const ev = encodeWatchEvent(type, obj);
  const len = Buffer.allocUnsafe(4);
  len.writeUInt32BE(ev.length);
  return Buffer.concat([len, ev]);
}

// A served version is never encoded as protobuf (serveWatch answers it in JSON).
function encodeStored(rt: ResourceType, type: EventType, stored: StoredObject, enc: Encoding, first: boolean, served?: ServedVersion): Frame {
  if (enc === 'protobuf') return protobufFrame(type, stored.obj);
  const body = enc === 'table' ? tableJSON(rt, stored.obj, String(stored.rev), first) : served ? goJSONText(served.convert(stored.obj)) : stored.bytes.toString();
  return `{"type":"${type}","object":${body}}\n`;
}

/** The event's line for a type and encoding, made once per event and reused by every watcher. */
function encodeEvent(rt: ResourceType, ev: StorageEvent, type: EventType, enc: Encoding, first: boolean, served?: ServedVersion): Frame {
  if (first && enc === 'table') return encodeStored(rt, type, ev.object, enc, true);
  const key = served && enc === 'json' ? `${type}|${enc}|${groupVersion(served.rt)}` : `${type}|${enc}`;
  let cache = ev.encoded;
  if (!cache) cache = ev.encoded = new Map();
  let line = cache.get(key);
  if (line === undefined) {
    line = encodeStored(rt, type, ev.object, enc, false, served);
    cache.set(key, line);
  }
  return line;
}

/** Which event, if any, a watcher with these selectors sees for a change. */
export function filteredType(ev: StorageEvent, sel: CompiledSelectors): EventType | undefined {
  if (sel.empty) return ev.type;
  switch (ev.type) {
    case 'ADDED':
      return sel.matches(ev.object.obj) ? 'ADDED' : undefined;
    case 'DELETED':
      return sel.matches(ev.object.obj) ? 'DELETED' : undefined;
    case 'MODIFIED': {
      const now = sel.matches(ev.object.obj);
      const before = ev.prev ? sel.matches(ev.prev.obj) : false;
      if (now && before) return 'MODIFIED';
      if (now) return 'ADDED';
      if (before) return 'DELETED';
      return undefined;
    }
  }
}

export async function serveWatch(
  req: Request,
  res: Response,
  registry: Registry,
  rt: ResourceType,
  namespace: string | undefined,
  sel: CompiledSelectors,
  hooks: WatchHooks,
  served?: ServedVersion,
): Promise<void> {
  const rvParam = qs(req, 'resourceVersion');
  const timeoutSeconds = qInt(req, 'timeoutSeconds');
  const bookmarks = qBool(req, 'allowWatchBookmarks');
  const websocket = isWebSocketRequest(req);
  // Over a WebSocket each event is its own text message: JSON (or Table) only.
  const enc: Encoding =
    req.headers.accept?.includes('as=Table') && toTable(rt, [], { now: 0 }) ? 'table' : !websocket && !served && wantsProtobuf(req) && hasProtobufKind(groupVersion(rt), rt.kind) ? 'protobuf' : 'json';
  const contentType = enc === 'protobuf' ? ProtobufWatchMediaType : 'application/json';
  let fromRev: number | undefined;
  if (rvParam !== undefined && rvParam !== '' && rvParam !== '0') {
    if (!/^\d+$/.test(rvParam)) throw new ApiStatusError(400, 'BadRequest', `invalid resource version: ${JSON.stringify(rvParam)}`);
    fromRev = Number(rvParam);
  }

  let closed = false;
  let sub: WatchSubscription | undefined;
  let leaveCatalog: (() => void) | undefined;
  let lastRev = 0;
  let first = true;
  let pending: Frame[] = [];
  let flushScheduled = false;
  const timers: NodeJS.Timeout[] = [];
  /** The WebSocket once its handshake is done (a WebSocket watch writes nothing before). */
  let ws: WebSocket | undefined;
  const out = {
    write(frames: Frame[]): void {
      if (!websocket) return void res.write(frames.length === 1 ? frames[0] : enc === 'protobuf' ? Buffer.concat(frames as Buffer[]) : frames.join(''));
      if (!ws || ws.readyState !== ws.OPEN) return;
      // One socket write for the batch, one message per event.
      res.socket?.cork();
      for (const f of frames) ws.send(f);
      process.nextTick(() => res.socket?.uncork());
    },
    end(): void {
      if (!websocket) return void (res.writableEnded || res.end());
      if (ws && ws.readyState === ws.OPEN) ws.close(1000);
    },
    buffered(): number {
      return websocket ? (ws?.bufferedAmount ?? 0) : res.writableLength;
    },
  };

  const finish = () => {
    if (closed) return;
    closed = true;
    sub?.stop();
    leaveCatalog?.();
    for (const t of timers) clearTimeout(t);
    if (flushTimer) clearTimeout(flushTimer);
    hooks.onEnd(served?.rt ?? rt);
    if (opened && pending.length) out.write(pending);
    if (opened) out.end();
  };
  /** Whether the stream's headers (or the WebSocket's handshake) have been sent. */
  let opened = false;
  const flush = () => {
    flushScheduled = false;
    if (closed || !opened || !pending.length) return;
    const now = performance.now();
    gapBeforeLastFlush = now - lastFlush;
    lastFlush = now;
    flushTimer = undefined;
    const frames = pending;
    pending = [];
    out.write(frames);
    if (out.buffered() > MAX_BUFFERED_BYTES) finish();
  };
  // A quiet stream is flushed at once, and so is the next event after that (a controller's answer to the
  // event it just got: a pod's binding after its creation); a busy one at most every FLUSH_INTERVAL_MS,
  // so that a burst of writes costs each watcher a few socket writes instead of one per event. Before,
  // that second event waited out the interval: a pod's binding reached the watchers ~8 ms after it was
  // answered on an idle apiserver.
  let lastFlush = -Infinity;
  /** How long the stream had gone without a flush before its last one. */
  let gapBeforeLastFlush = Infinity;
  let flushTimer: NodeJS.Timeout | undefined;
  const send = (line: Frame) => {
    if (closed) return;
    pending.push(line);
    if (!flushScheduled) {
      flushScheduled = true;
      const wait = watchFlushDelay(performance.now() - lastFlush, gapBeforeLastFlush);
      if (wait <= 0) setImmediate(flush);
      else flushTimer = setTimeout(flush, wait);
    }
  };
  const deliver = (ev: StorageEvent) => {
    lastRev = ev.rev;
    const type = filteredType(ev, sel);
    if (!type) return;
    send(encodeEvent(rt, ev, type, enc, first && enc === 'table', served));
    first = false;
  };

  hooks.onStart(served?.rt ?? rt);
  res.on('close', finish);
  // As kube-apiserver tears down a custom resource's storage when its CRD goes: the kind stops being
  // served (CRD deleted, version no longer served), so its watches end and clients see the 404 on re-list.
  const watched = served?.rt ?? rt;
  leaveCatalog = registry.kinds.onChange(() => {
    if (!registry.kinds.lookup(groupVersion(watched), watched.resource)) finish();
  });
  let initial: StoredObject[] = [];
  const pendingLive: StorageEvent[] = [];
  try {
    if (fromRev === undefined) {
      // No resourceVersion: the current state as ADDED events, then every change after it.
      const page = await registry.list(rt, namespace, {});
      initial = page.items.filter((s) => sel.matches(s.obj));
      fromRev = page.rev;
    }
    sub = registry.watch(
      rt,
      namespace,
      fromRev,
      (ev) => {
        if (initial.length) return void pendingLive.push(ev);
        deliver(ev);
      },
      // The storage reloaded (a replica that fell behind etcd's compaction): end the stream; the client
      // watches again from its last revision and relists after the 410.
      () => finish(),
    );
  } catch (err) {
    if (err instanceof ApiStatusError && err.code === 410) {
      // As Kubernetes does: a 200 stream carrying one ERROR event with the 410 Status.
      const status = err.toStatus() as unknown as Record<string, unknown>;
      const frame = enc === 'protobuf' ? protobufFrame('ERROR', status) : `${goJSONText({ type: 'ERROR', object: status })}\n`;
      if (websocket) {
        ws = await acceptWebSocket(req).catch(() => undefined);
        opened = !!ws;
        pending.push(frame);
      } else {
        res.writeHead(200, { 'Content-Type': contentType, 'Transfer-Encoding': 'chunked' });
        res.end(frame);
      }
      finish();
      return;
    }
    finish();
    if (err instanceof ApiStatusError) return sendError(res, err);
    throw err;
  }
  if (websocket) {
    try {
      ws = await acceptWebSocket(req);
    } catch {
      return finish(); // the client went away or sent a malformed handshake (ws answered it)
    }
    ws.on('close', finish);
    ws.on('error', finish);
    // The client sends nothing but control frames; a data message is ignored, as kube-apiserver does.
  } else {
    res.writeHead(200, { 'Content-Type': contentType, 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache' });
    res.flushHeaders();
  }
  opened = true;
  if (closed) return out.end(); // ended during the handshake (the storage reloaded): the client re-watches
  if (pending.length && !flushScheduled) {
    flushScheduled = true;
    setImmediate(flush);
  }
  // Events the subscription replayed from history (a watch from an older resourceVersion) are already
  // past fromRev: a bookmark must never take a client back before them. (A client that resumed from such
  // a bookmark had those events replayed, each object going back to an older version and forward again:
  // a Job's succeeded count went 2 → 0 → 1 in its informers, found by the chaos soak.)
  lastRev = Math.max(lastRev, fromRev);
  for (const s of initial) {
    send(encodeStored(rt, 'ADDED', s, enc, first, served));
    first = false;
  }
  initial = [];
  for (const ev of pendingLive) deliver(ev);

  if (timeoutSeconds !== undefined && timeoutSeconds > 0) timers.push(setTimeout(finish, timeoutSeconds * 1000));
  else timers.push(setTimeout(finish, (1800 + Math.random() * 1800) * 1000)); // as Kubernetes' min-request-timeout
  if (bookmarks) {
    const interval = hooks.bookmarkIntervalMs ?? DEFAULT_BOOKMARK_INTERVAL_MS;
    // One repeating timer, not one per bookmark: a watch lives up to an hour, and a Timeout kept per
    // bookmark grew the process by a few hundred per minute across the cluster's watches.
    timers.push(
      setInterval(() => {
        if (closed) return;
        const bookmark = { kind: rt.kind, apiVersion: groupVersion(served?.rt ?? rt), metadata: { resourceVersion: String(lastRev) } };
        send(enc === 'protobuf' ? protobufFrame('BOOKMARK', bookmark) : `${goJSONText({ type: 'BOOKMARK', object: bookmark })}\n`);
      }, interval),
    );
  }
}
