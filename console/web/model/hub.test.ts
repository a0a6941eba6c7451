import { Api, type WebSocketLike } from './api';
import { WatchHub } from './hub';
import type { KindName } from './kinds';
import { Store } from './store';

// Requests that never answer: the reflectors stay listing, which is enough to see which are started.
const hanging = () => new Promise<Response>(() => undefined);
const socket = (): WebSocketLike => ({ onopen: null, onmessage: null, onerror: null, onclose: null, close: () => undefined });
const served = new Set<KindName>(['nodes', 'pods', 'services', 'endpoints', 'events', 'namespaces', 'deployments', 'replicasets', 'daemonsets', 'statefulsets', 'jobs']);

function hubWith(api: Api): { hub: WatchHub; store: Store } {
  const store = new Store((fn) => fn());
  const hub = new WatchHub(api, store, { budget: 5, pinned: ['pods', 'deployments', 'events'] });
  hub.setServed(served);
  return { hub, store };
}

/** Marks kinds listed, as their reflectors would, so the kinds deferred behind them start. */
function listed(store: Store, ...kinds: KindName[]): void {
  for (const k of kinds) store.reset(k, []);
}

describe('WatchHub', () => {
  test('streamed watches: at most the budget open, the view on screen first, the rest paused', () => {
    const { hub, store } = hubWith(new Api('http://x', 't', hanging));
    const release = hub.acquire(['nodes', 'pods', 'services']);
    expect(hub.active().sort()).toEqual(['nodes', 'pods', 'services']); // the others wait for these lists
    listed(store, 'nodes', 'pods', 'services');
    expect(hub.active().sort()).toEqual(['deployments', 'events', 'nodes', 'pods', 'services']);
    release();
    hub.acquire(['services', 'endpoints']);
    listed(store, 'endpoints');
    expect(hub.active()).toHaveLength(5);
    expect(hub.active()).toEqual(expect.arrayContaining(['services', 'endpoints', 'pods', 'deployments', 'events']));
    expect(hub.reflector('nodes')?.state).toBe('paused');
    hub.stop();
  });

  test('watches over WebSockets hold no connection: every kind asked for stays watched', () => {
    const { hub, store } = hubWith(new Api('http://x', 't', hanging, socket));
    hub.acquire(['nodes', 'pods', 'services']);
    listed(store, 'nodes', 'pods', 'services');
    hub.acquire(['services', 'endpoints']);
    hub.acquire(['deployments', 'daemonsets', 'statefulsets', 'jobs']);
    expect(hub.active().sort()).toEqual(['daemonsets', 'deployments', 'endpoints', 'events', 'jobs', 'nodes', 'pods', 'services', 'statefulsets']);
    hub.stop();
  });

  test('the budget applies again once the server refuses WebSockets', () => {
    const api = new Api('http://x', 't', hanging, socket);
    const { hub, store } = hubWith(api);
    hub.acquire(['nodes', 'pods', 'services', 'endpoints', 'deployments', 'daemonsets', 'jobs']);
    listed(store, 'nodes', 'pods', 'services', 'endpoints', 'deployments', 'daemonsets', 'jobs');
    expect(hub.active()).toHaveLength(8);
    for (let i = 0; i < 3; i++) api.noteWebSocket(false);
    store.state('pods', 'listing'); // any store change reschedules
    expect(hub.active()).toHaveLength(5);
    hub.stop();
  });
});
