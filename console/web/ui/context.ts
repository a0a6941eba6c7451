// What every view of a logged-in console shares: the API client (with the user's token), the cache of
// the cluster, the watch hub, the workloads' timelines, and the notice area where actions report.
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Api } from '../model/api';
import type { WatchHub } from '../model/hub';
import type { KindName } from '../model/kinds';
import type { Store } from '../model/store';
import type { Timelines } from '../model/timeline';

export interface Notice {
  id: number;
  kind: 'ok' | 'error';
  text: string;
}

export interface ConsoleServices {
  api: Api;
  store: Store;
  hub: WatchHub;
  timelines: Timelines;
  /** The kinds discovery says are served (undefined until it answers: hub.serves() guesses until then). */
  served?: Set<KindName>;
  /** Whether metrics.k8s.io is served (node usage); undefined until discovery answers. */
  metrics?: boolean;
  /** The namespace the views show ('' = all). */
  namespace: string;
  notify(kind: Notice['kind'], text: string): void;
}

export const ConsoleContext = createContext<ConsoleServices | null>(null);

export function useConsole(): ConsoleServices {
  const c = useContext(ConsoleContext);
  if (!c) throw new Error('no console context');
  return c;
}
