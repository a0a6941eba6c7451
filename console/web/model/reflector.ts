// List and watch of one kind, as client-go's reflector: list once, then watch from the list's
// resourceVersion, applying each event; a watch that ends (server timeout, apiserver restart, network)
// is opened again from the last resourceVersion seen, so nothing is missed and nothing is polled; a
// 410 Gone (that version is older than the server's history) lists again. pause() closes the stream but
// keeps the resourceVersion, so a later resume() replays every change made meanwhile from the
// server's history. Watches go over a WebSocket when the Api has one (the browser: a streamed watch
// would hold one of its 6 HTTP/1.1 connections to the origin), else as a streamed response; a
// WebSocket the server refuses is retried as a streamed request, which carries the API's Status (401,
// 403) or, from a server without WebSocket watches, the watch itself.
import { Api, ApiError, KubeObject, KubeList, errorFrom } from './api';
import { KindName, KINDS, apiVersionOf, listPath } from './kinds';

export type ReflectorState = 'idle' | 'listing' | 'watching' | 'retrying' | 'paused' | 'stopped';

export interface ReflectorSink {
  /** The whole collection, after a (re)list. */
  reset(kind: KindName, items: KubeObject[]): void;
  event(kind: KindName, type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: KubeObject): void;
  state?(kind: KindName, state: ReflectorState, error?: Error): void;
}

export interface ReflectorOptions {
  /** Shortest and longest wait before reconnecting (doubles in between). */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** Asked of the server per watch request; the watch is reopened after it. */
  watchTimeoutSeconds?: number;
}

interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: KubeObject & { code?: number; reason?: string; message?: string };
}

class Gone extends Error {}
/** The WebSocket never opened: the server (or a proxy) refused the handshake. */
class HandshakeRefused extends Error {}

export class Reflector {
  private rv: string | undefined;
  private running = false;
  /** Which loop is current: a pause and a quick resume must not leave two loops running. */
  private generation = 0;
  private abort: AbortController | undefined;
  private wake: (() => void) | undefined;
  state: ReflectorState = 'idle';
  lastError: Error | undefined;
  /** Lists done (the first, and one per 410): tests and the status bar read it. */
  lists = 0;

  constructor(
    private readonly api: Api,
    readonly kind: KindName,
    private readonly sink: ReflectorSink,
    private readonly o: ReflectorOptions = {},
  ) {}

  get resourceVersion(): string | undefined {
    return this.rv;
  }

  /** Starts (or resumes after pause) the list-and-watch loop. */
  start(): void {
    if (this.running) return;
    this.running = true;
    void this.loop(++this.generation);
  }

  /** Closes the stream; start() resumes from the last resourceVersion. */
  pause(): void {
    this.halt('paused');
  }

  stop(): void {
    this.halt('stopped');
  }

  /** Reconnect now instead of after the back-off (the browser came back online). */
  retryNow(): void {
    this.wake?.();
  }

  private halt(state: ReflectorState): void {
    if (!this.running && this.state === state) return; // no news: a notification would reschedule the hub again
    this.running = false;
    this.abort?.abort();
    this.wake?.();
    this.setState(state);
  }

  private setState(s: ReflectorState, err?: Error): void {
    this.state = s;
    if (err) this.lastError = err;
    else if (s === 'watching') this.lastError = undefined;
    this.sink.state?.(this.kind, s, err);
  }

  private async loop(generation: number): Promise<void> {
    const min = this.o.minBackoffMs ?? 100;
    const max = this.o.maxBackoffMs ?? 2000;
    let backoff = min;
    const current = () => this.running && generation === this.generation;
    while (current()) {
      const abort = new AbortController();
      this.abort = abort;
      try {
        if (this.rv === undefined) await this.list(abort.signal);
        if (!current()) break;
        await this.watch(abort.signal, () => {
          backoff = min;
        });
        // The server ended the watch (its timeout): open it again at once.
      } catch (err) {
        if (!current()) break;
        if (err instanceof Gone) {
          this.rv = undefined; // too old for the server's history: list again
          continue;
        }
        this.setState('retrying', err as Error);
        // An answer the server gave (403, 404) will not change soon: wait the longest.
        const wait = err instanceof ApiError && err.code !== 503 && err.code !== 500 ? max * 5 : backoff;
        backoff = Math.min(max, backoff * 2);
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, wait);
          this.wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
        this.wake = undefined;
      }
    }
  }

  private async list(signal: AbortSignal): Promise<void> {
    this.setState('listing');
    const list = await this.api.request<KubeList>({ path: listPath(this.kind), signal });
    const kind = KINDS[this.kind].kind;
    const apiVersion = apiVersionOf(this.kind);
    // List items carry no kind; the console's views and actions want it.
    const items = list.items.map((o) => ({ ...o, kind, apiVersion }));
    this.lists++;
    this.rv = list.metadata?.resourceVersion;
    this.sink.reset(this.kind, items);
  }

  private async watch(signal: AbortSignal, onOpen: () => void): Promise<void> {
    if (!this.api.watchesOverWebSocket) return this.watchStream(signal, onOpen);
    try {
      return await this.watchSocket(signal, onOpen);
    } catch (err) {
      if (!(err instanceof HandshakeRefused) || signal.aborted) throw err;
    }
    // The streamed request answers with the API's own error, or serves the watch the socket could not.
    return this.watchStream(signal, () => {
      this.api.noteWebSocket(false);
      onOpen();
    });
  }

  private watchQuery(): Record<string, string | number | boolean | undefined> {
    return { watch: 1, resourceVersion: this.rv, allowWatchBookmarks: true, timeoutSeconds: this.o.watchTimeoutSeconds ?? 300 };
  }

  /** One event per message; resolves when the server ends the watch (its timeout). */
  private watchSocket(signal: AbortSignal, onOpen: () => void): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const socket = this.api.webSocket({ path: listPath(this.kind), query: this.watchQuery() });
      let opened = false;
      let failure: unknown;
      const abort = () => socket.close(1000);
      signal.addEventListener('abort', abort);
      socket.onopen = () => {
        opened = true;
        this.api.noteWebSocket(true);
        this.setState('watching');
        onOpen();
      };
      socket.onmessage = (m) => {
        if (failure !== undefined) return;
        try {
          this.handle(JSON.parse(String(m.data)) as WatchEvent);
        } catch (err) {
          failure = err; // an ERROR event (410: list again) or a broken message
          socket.close(1000);
        }
      };
      socket.onerror = () => undefined; // onclose follows, with the code
      socket.onclose = (ev) => {
        signal.removeEventListener('abort', abort);
        if (failure !== undefined) reject(failure);
        else if (signal.aborted) reject(new Error('aborted'));
        else if (!opened) reject(new HandshakeRefused(`the WebSocket watch of ${this.kind} was refused`));
        else if (ev.code === 1000) resolve(); // the server ended the watch (its timeout)
        else reject(new Error(`the watch of ${this.kind} was cut (WebSocket close ${ev.code})`));
      };
    });
  }

  private async watchStream(signal: AbortSignal, onOpen: () => void): Promise<void> {
    const res = await this.api.fetch({ path: listPath(this.kind), query: this.watchQuery(), signal });
    if (res.status === 410) {
      await res.body?.cancel();
      throw new Gone();
    }
    if (!res.ok || !res.body) throw errorFrom(res.status, await res.text());
    this.setState('watching');
    onOpen();
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buf = '';
    let ended = false;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) {
          ended = true;
          break;
        }
        buf += decoder.decode(value, { stream: true });
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          if (line) this.handle(JSON.parse(line) as WatchEvent);
        }
      }
    } finally {
      if (!ended) await reader.cancel().catch(() => undefined);
    }
  }

  private handle(ev: WatchEvent): void {
    if (ev.type === 'ERROR') {
      if (ev.object.code === 410) throw new Gone();
      throw new ApiError(ev.object.code ?? 500, ev.object.reason ?? '', ev.object.message ?? 'watch error');
    }
    const rv = ev.object.metadata?.resourceVersion;
    if (rv) this.rv = rv;
    if (ev.type === 'BOOKMARK') return;
    this.sink.event(this.kind, ev.type, ev.object);
  }
}
