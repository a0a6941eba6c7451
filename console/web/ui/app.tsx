// The console's shell: login, then a header (live state, namespace, theme, log out), the navigation and
// the view the hash route names. The cache, watch hub and timelines live as long as the login.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { ApiError } from '../model/api';
import { ApplyView } from './apply-view';
import { ClusterView } from './cluster-view';
import { errorText, forbidden } from './common';
import { ConsoleContext, ConsoleServices, Notice, useConsole } from './context';
import { EventsView } from './events-view';
import { href, useRoute } from './hooks';
import { Login } from './login';
import { PodDetail } from './pod-detail';
import { ServicesView } from './services-view';
import { Boot, Discovery, Session, closeSession, forgetToken } from './session';
import { WorkloadDetail } from './workload-detail';
import { WorkloadsView } from './workloads-view';
import { KINDS, KindName, isWorkloadKind } from '../model/kinds';

type Theme = 'auto' | 'light' | 'dark';

function useTheme(): [Theme, (t: Theme) => void] {
  const [theme, setTheme] = useState<Theme>(() => (localStorage.getItem('steer.console.theme') as Theme | null) ?? 'auto');
  useEffect(() => {
    if (theme === 'auto') delete document.documentElement.dataset.theme;
    else document.documentElement.dataset.theme = theme;
    localStorage.setItem('steer.console.theme', theme);
  }, [theme]);
  return [theme, setTheme];
}

interface LoggedIn {
  session: Session;
  /** Undefined until discovery answers (a booted page shows its first view before). */
  discovery?: Discovery;
}

/** `boot`: the session main.tsx opened at script start for a saved token. */
export function App(p: { boot?: Boot }) {
  const [live, setLive] = useState<LoggedIn | null>(() => (p.boot ? { session: p.boot.session } : null));
  const [message, setMessage] = useState('');
  const logout = (why?: string) => {
    forgetToken();
    setLive(null);
    setMessage(why ?? '');
  };
  useEffect(() => {
    const b = p.boot;
    if (!b) return;
    b.release(); // the first view holds its kinds by now (effects run children first)
    b.discovery.then(
      (discovery) => setLive((l) => (l?.session === b.session ? { ...l, discovery } : l)),
      (err: unknown) => logout(errorText(err)),
    );
  }, []);
  if (!live) return <Login onConnected={(session, discovery) => setLive({ session, discovery })} message={message} />;
  return <Shell session={live.session} discovery={live.discovery} onLogout={logout} />;
}

function Shell(p: { session: Session; discovery?: Discovery; onLogout(message?: string): void }) {
  const [theme, setTheme] = useTheme();
  const [namespace, setNamespace] = useState('');
  const [notices, setNotices] = useState<Notice[]>([]);
  const { session } = p;
  useEffect(
    // A token the API stops accepting (expired, revoked) ends the session: back to the login screen.
    () =>
      session.store.subscribe(() => {
        const refused = (Object.keys(KINDS) as KindName[]).some((k) => {
          const e = session.store.kindStatus(k).error;
          return e instanceof ApiError && e.code === 401;
        });
        if (refused) p.onLogout('The API no longer accepts this token (401 Unauthorized): log in again.');
      }),
    [session],
  );
  useEffect(() => {
    const online = () => session.hub.retryNow();
    window.addEventListener('online', online);
    return () => {
      window.removeEventListener('online', online);
      closeSession(session);
    };
  }, [session]);
  const services: ConsoleServices = useMemo(
    () => ({
      ...session,
      served: p.discovery?.served,
      metrics: p.discovery?.metrics,
      namespace,
      notify(kind, text) {
        const n = { id: Date.now() + Math.random(), kind, text };
        setNotices((all) => [...all.slice(-4), n]);
        setTimeout(() => setNotices((all) => all.filter((x) => x !== n)), kind === 'error' ? 15000 : 6000);
      },
    }),
    [session, p.discovery, namespace],
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

/**
 * The kinds each view's useKinds asks for, by route: boot.js and main.tsx ask for them at script start,
 * before the view mounts, so its lists are on the way while the page renders.
 */
export { routeKinds } from '../model/routes';

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
