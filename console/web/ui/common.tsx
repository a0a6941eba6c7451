// Small pieces every view uses: a button that sends one API request and reports its outcome, a
// two-step confirmation for destructive actions, meters, badges and the loading/error line of a kind.
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import type { Action } from '../model/actions';
import { ApiError } from '../model/api';
import type { KindName } from '../model/kinds';
import { useConsole } from './context';

export function errorText(err: unknown): string {
  if (err instanceof ApiError) return `Error from server${err.reason ? ` (${err.reason})` : ''}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}

/** Sends one action (or a function of several) and reports it in the notice area. */
export function useRunner(): { busy: boolean; run(label: string, what: Action | (() => Promise<string | void>)): Promise<boolean> } {
  const { api, notify } = useConsole();
  const [busy, setBusy] = useState(false);
  return {
    busy,
    async run(label, what) {
      setBusy(true);
      try {
        if (typeof what === 'function') {
          const text = await what();
          notify('ok', text || `${label}: done`);
        } else {
          await api.request(what);
          notify('ok', `${what.kubectl}: done`);
        }
        return true;
      } catch (err) {
        notify('error', `${label}: ${errorText(err)}`);
        return false;
      } finally {
        setBusy(false);
      }
    },
  };
}

/** A button that asks "sure?" in place before doing something destructive. */
export function ConfirmButton(p: { label: string; confirm: string; onConfirm: () => void; disabled?: boolean; class?: string }) {
  const [asking, setAsking] = useState(false);
  if (!asking) {
    return (
      <button type="button" class={p.class ?? 'danger'} disabled={p.disabled} onClick={() => setAsking(true)}>
        {p.label}
      </button>
    );
  }
  return (
    <span class="confirm" role="group" aria-label={p.confirm}>
      <span>{p.confirm}</span>
      <button
        type="button"
        class="danger"
        autoFocus
        onClick={() => {
          setAsking(false);
          p.onConfirm();
        }}
      >
        Yes
      </button>
      <button type="button" onClick={() => setAsking(false)}>
        No
      </button>
    </span>
  );
}

export function Meter(p: { label: string; value: number; text: string }) {
  const pct = Math.round(p.value * 100);
  const level = pct >= 90 ? 'high' : pct >= 70 ? 'mid' : 'low';
  return (
    <div class="meter">
      <span class="meter-label">{p.label}</span>
      <span class={`meter-bar ${level}`} role="meter" aria-label={p.label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct} aria-valuetext={p.text}>
        <span style={{ width: `${pct}%` }} />
      </span>
      <span class="meter-text">{p.text}</span>
    </div>
  );
}

export function Badge(p: { tone: 'ok' | 'warn' | 'bad' | 'info' | 'muted'; children: ComponentChildren; title?: string }) {
  return (
    <span class={`badge ${p.tone}`} title={p.title}>
      {p.children}
    </span>
  );
}

/** A 403: RBAC does not let this user read the kind (asked again now and then, in case a role is granted). */
export function forbidden(err: unknown): boolean {
  return err instanceof ApiError && err.code === 403;
}

/** "loading…", "reconnecting…" or the API's error for a kind a view shows (a 403 as the API says it). */
export function KindStatusLine(p: { kinds: KindName[] }) {
  const { store, hub } = useConsole();
  const lines: ComponentChildren[] = [];
  for (const k of p.kinds) {
    if (!hub.serves(k)) continue;
    const s = store.kindStatus(k);
    if (s.state === 'retrying' && s.error) lines.push(<li key={k}>{forbidden(s.error) ? `${k}: ${errorText(s.error)}` : `${k}: ${errorText(s.error)} — retrying`}</li>);
    else if (!s.synced) lines.push(<li key={k}>{`${k}: loading…`}</li>);
  }
  if (!lines.length) return null;
  return (
    <ul class="kind-status" aria-live="polite">
      {lines}
    </ul>
  );
}

export function Section(p: { title: string; id?: string; children: ComponentChildren; actions?: ComponentChildren }) {
  const id = p.id ?? `s-${p.title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
  return (
    <section class="panel" aria-labelledby={id}>
      <div class="panel-head">
        <h2 id={id}>{p.title}</h2>
        {p.actions}
      </div>
      {p.children}
    </section>
  );
}
