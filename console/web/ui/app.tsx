// The console's shell: login, then a header (live state, namespace, theme, log out), the navigation and
// the view the hash route names. The cache, watch hub and timelines live as long as the login.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { ApiError } from '../model/api';
import { WatchHub } from '../model/hub';
import { Store } from '../model/store';
import { Timelines } from '../model/timeline';
import { ApplyView } from './apply-view';
import { ClusterView } from './cluster-view';
import { forbidden } from './common';
import { ConsoleContext, ConsoleServices, Notice, useConsole } from './context';
import { EventsView } from './events-view';
import { href, useRoute } from './hooks';
import { Login } from './login';
import { PodDetail } from './pod-detail';
import { ServicesView } from './services-view';
import { Connection, connect, forgetToken, savedToken } from './session';
import { WorkloadDetail } from './workload-detail';
import { WorkloadsView } from './workloads-view';
import { isWorkloadKind } from '../model/kinds';

type Theme = 'auto' | 'light' | 'dark';

/** Newest events the page keeps (the Events view shows the newest 300). */
const EVENTS_KEPT = 3000;

function useTheme(): [Theme, (t: Theme) => void] {
  const [theme, setTheme] = useState<Theme>(() => (localStorage.getItem('steer.console.theme') as Theme | null) ?? 'auto');
  useEffect(() => {
    if (theme === 'auto') delete document.documentElement.dataset.theme;
    else document.documentElement.dataset.theme = theme;
    localStorage.setItem('steer.console.theme', theme);
  }, [theme]);
  return [theme, setTheme];
}

/** Store notifications once per frame (or within 50 ms when the tab is hidden and frames stop). */
function frameScheduler(fn: () => void): void {
  let done = false;
  const once = () => {
    if (done) return;
    done = true;
    fn();
  };
  requestAnimationFrame(once);
  setTimeout(once, 50);
}

export function App() {
  const [connection, setConnection] = useState<Connection | null>(null);
  const [restoring, setRestoring] = useState(() => savedToken() !== null);
  const [message, setMessage] = useState('');
  useEffect(() => {
    const token = savedToken();
    if (token === null) return;
    connect(token)
      .then(setConnection)
      .catch((err: Error) => {
        forgetToken();
        setMessage(err.message);
      })
      .finally(() => setRestoring(false));
  }, []);
  if (restoring) return <p class="loading">Connecting…</p>;
  if (!connection) return <Login onConnected={setConnection} message={message} />;
  return (
    <Shell
      connection={connection}
      onLogout={(why?: string) => {
        forgetToken();
        setConnection(null);
        setMessage(why ?? '');
      }}
    />
  );
}

function Shell(p: { connection: Connection; onLogout(message?: string): void }) {
  const [theme, setTheme] = useTheme();
  const [namespace, setNamespace] = useState('');
  const [notices, setNotices] = useState<Notice[]>([]);
  const core = useMemo(() => {
    const store = new Store(frameScheduler, Date.now, { events: EVENTS_KEPT });
    const timelines = new Timelines().attach(store);
    // Over HTTP/2 (or 3) watches share one connection: no budget needed.
    const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
    const multiplexed = !!nav && /^h[23]/.test(nav.nextHopProtocol);
    const hub = new WatchHub(p.connection.api, store, { budget: multiplexed ? 32 : 5, pinned: ['pods', 'deployments', 'events'] });
    hub.setServed(p.connection.served);
    return { store, timelines, hub };
  }, [p.connection]);
  useEffect(
    // A token the API stops accepting (expired, revoked) ends the session: back to the login screen.
    () =>
      core.store.subscribe(() => {
        const refused = (['pods', 'nodes', 'deployments', 'events'] as const).some((k) => {
          const e = core.store.kindStatus(k).error;
          return e instanceof ApiError && e.code === 401;
        });
        if (refused) p.onLogout('The API no longer accepts this token (401 Unauthorized): log in again.');
      }),
    [core],
  );
  useEffect(() => {
    const online = () => core.hub.retryNow();
    window.addEventListener('online', online);
    return () => {
      window.removeEventListener('online', online);
      core.hub.stop();
      core.timelines.detach();
    };
  }, [core]);
  const services: ConsoleServices = useMemo(
    () => ({
      api: p.connection.api,
      ...core,
      served: p.connection.served,
      metrics: p.connection.metrics,
      namespace,
      notify(kind, text) {
        const n = { id: Date.now() + Math.random(), kind, text };
        setNotices((all) => [...all.slice(-4), n]);
        setTimeout(() => setNotices((all) => all.filter((x) => x !== n)), kind === 'error' ? 15000 : 6000);
      },
    }),
    [p.connection, core, namespace],
  );
  const route = useRoute();
  const [view] = route;
  const nav: Array<[string, string]> = [
    ['cluster', 'Cluster'],
    ['workloads', 'Workloads'],
    ['services', 'Services'],
    ['events', 'Events'],
    ['apply', 'Apply YAML'],
  ];
  const current = view === 'pods' ? 'cluster' : view || 'cluster';
  return (
    <ConsoleContext.Provider value={services}>
      <a class="skip" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById('main')?.focus(); }}>
        Skip to content
      </a>
      <header class="top">
        <span class="brand">steer</span>
        <nav aria-label="Views">
          {nav.map(([id, label]) => (
            <a key={id} href={href(id)} aria-current={current === id ? 'page' : undefined}>
              {label}
            </a>
          ))}
        </nav>
        <div class="top-tools">
          <NamespacePicker value={namespace} onChange={setNamespace} />
          <label class="inline">
            <span class="sr-only">Theme</span>
            <select value={theme} onChange={(e) => setTheme((e.target as HTMLSelectElement).value as Theme)} aria-label="Theme">
              <option value="auto">Auto theme</option>
              <option value="light">Light</option>
              <option value="dark">Dark</option>
            </select>
          </label>
          <LiveState />
          <button type="button" onClick={() => p.onLogout()}>
            Log out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <Route route={route} />
      </main>
      <div class="notices" aria-live="polite">
        {notices.map((n) => (
          <p key={n.id} class={`notice ${n.kind}`} role={n.kind === 'error' ? 'alert' : 'status'}>
            {n.text}
          </p>
        ))}
      </div>
    </ConsoleContext.Provider>
  );
}

function Route(p: { route: string[] }) {
  const [view, a, b, c] = p.route;
  switch (view) {
    case undefined:
    case 'cluster':
      return <ClusterView />;
    case 'workloads':
      if (a && b && c && isWorkloadKind(a)) return <WorkloadDetail kind={a} namespace={b} name={c} />;
      return <WorkloadsView />;
    case 'pods':
      return a && b ? <PodDetail namespace={a} name={b} /> : <ClusterView />;
    case 'services':
      return <ServicesView />;
    case 'events':
      return <EventsView />;
    case 'apply':
      return <ApplyView />;
    default:
      return <p>No such view: {view}</p>;
  }
}

function NamespacePicker(p: { value: string; onChange(ns: string): void }) {
  const { store } = useKindsForPicker();
  const names = new Set<string>();
  for (const o of store.list('pods')) if (o.metadata?.namespace) names.add(o.metadata.namespace);
  for (const o of store.list('deployments')) if (o.metadata?.namespace) names.add(o.metadata.namespace);
  if (p.value) names.add(p.value);
  return (
    <select aria-label="Namespace" value={p.value} onChange={(e) => p.onChange((e.target as HTMLSelectElement).value)}>
      <option value="">All namespaces</option>
      {[...names].sort().map((n) => (
        <option key={n} value={n}>
          {n}
        </option>
      ))}
    </select>
  );
}

/** The picker reads the pinned kinds without asking for more watches. */
function useKindsForPicker() {
  const [, setTick] = useState(0);
  const { store } = useConsole();
  useEffect(() => {
    let seen = `${store.version('pods')},${store.version('deployments')}`;
    return store.subscribe(() => {
      const now = `${store.version('pods')},${store.version('deployments')}`;
      if (now !== seen) {
        seen = now;
        setTick((t) => t + 1);
      }
    });
  }, [store]);
  return { store };
}

function LiveState() {
  const { hub, store } = useConsole();
  const [, setTick] = useState(0);
  useEffect(() => store.subscribe(() => setTick((t) => t + 1)), [store]);
  const active = hub.active();
  // A kind this user may not read is not a connection problem.
  const retrying = active.filter((k) => store.kindStatus(k).state === 'retrying' && !forbidden(store.kindStatus(k).error));
  const text = retrying.length ? `reconnecting (${retrying.join(', ')})` : `live: ${active.length} watches`;
  return (
    <span class={`live ${retrying.length ? 'bad' : 'ok'}`} role="status" title={`watching: ${active.join(', ')}`}>
      <span class="dot" aria-hidden="true" />
      {text}
    </span>
  );
}
