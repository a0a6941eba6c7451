// Hooks the views use: useKinds keeps the kinds a view shows watched and re-renders the view when one
// of them changes; useRoute reads the hash route (#/workloads/deployments/default/nginx).
import { useEffect, useState } from 'preact/hooks';
import type { KindName } from '../model/kinds';
import { parseRoute } from '../model/routes';
import type { Store } from '../model/store';
import { useConsole } from './context';

/** Keeps `kinds` watched while the view is shown; re-renders it when any of them changes. */
export function useKinds(...kinds: KindName[]): Store {
  const { hub, store } = useConsole();
  const key = kinds.join(',');
  const [, setTick] = useState(0);
  useEffect(() => {
    const release = hub.acquire(kinds);
    let seen = kinds.map((k) => store.version(k)).join(',');
    let seenStatus = kinds.map((k) => store.kindStatus(k).state).join(',');
    const unsubscribe = store.subscribe(() => {
      const now = kinds.map((k) => store.version(k)).join(',');
      const status = kinds.map((k) => store.kindStatus(k).state).join(',');
      if (now === seen && status === seenStatus) return;
      seen = now;
      seenStatus = status;
      setTick((t) => t + 1);
    });
    setTick((t) => t + 1);
    return () => {
      unsubscribe();
      release();
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);
  return store;
}

export { parseRoute };

export function useRoute(): string[] {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const on = () => setRoute(parseRoute(location.hash));
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}

export function href(...parts: string[]): string {
  return `#/${parts.map((p) => encodeURIComponent(p)).join('/')}`;
}
