// List and watch of one kind, as client-go's reflector: list once, then watch from the list's
// resourceVersion, applying each event; a watch that ends (server timeout, apiserver restart, network)
// is opened again from the last resourceVersion seen, so nothing is missed and nothing is polled; a
// 410 Gone (that version is older than the server's history) lists again. pause() closes the stream but
// keeps the resourceVersion, so a later resume() replays every change made meanwhile from the
// server's history.
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
    const res = await this.api.fetch({
      path: listPath(this.kind),
      query: { watch: 1, resourceVersion: this.rv, allowWatchBookmarks: true, timeoutSeconds: this.o.watchTimeoutSeconds ?? 300 },
      signal,
    });
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
