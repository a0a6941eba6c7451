// The actions on one workload: scale (Deployments, StatefulSets), rollout restart (Deployments,
// DaemonSets, StatefulSets), rollout undo (Deployments) — each one request, as kubectl sends it.
import { useState } from 'preact/hooks';
import { labelSelectorToString } from '../../../lib/api/selectors';
import { restartAction, scaleAction, undoAction } from '../model/actions';
import type { KubeList, KubeObject } from '../model/api';
import { KindName, listPath, WorkloadKind } from '../model/kinds';
import { useRunner } from './common';
import { useConsole } from './context';

export function WorkloadActions(p: { kind: WorkloadKind; obj: KubeObject; desired: number }) {
  const { api } = useConsole();
  const runner = useRunner();
  const ns = p.obj.metadata?.namespace ?? 'default';
  const name = p.obj.metadata?.name ?? '';
  const [replicas, setReplicas] = useState(String(p.desired));
  const [editing, setEditing] = useState(false);
  const value = editing ? replicas : String(p.desired);
  const scalable = p.kind === 'deployments' || p.kind === 'statefulsets';
  const id = `scale-${p.kind}-${ns}-${name}`;
  const undo = () =>
    runner.run(`rollout undo deployment/${name}`, async () => {
      const selector = labelSelectorToString((p.obj as { spec?: { selector?: Parameters<typeof labelSelectorToString>[0] } }).spec?.selector);
      const sets = await api.request<KubeList>({ path: listPath('replicasets' as KindName, ns), query: { labelSelector: selector } });
      const action = undoAction(p.obj, sets.items);
      await api.request(action);
      return `${action.kubectl}: rolled back`;
    });
  return (
    <div class="actions" role="group" aria-label={`actions on ${name}`}>
      {scalable && (
        <form
          class="scale"
          onSubmit={(e) => {
            e.preventDefault();
            const n = Number(value);
            void runner.run(`scale ${name}`, scaleAction(p.kind, ns, name, n)).then(() => setEditing(false));
          }}
        >
          <label for={id} class="sr-only">
            Replicas of {name}
          </label>
          <input
            id={id}
            type="number"
            min={0}
            step={1}
            inputMode="numeric"
            value={value}
            onFocus={() => {
              setReplicas(String(p.desired));
              setEditing(true);
            }}
            onInput={(e) => setReplicas((e.target as HTMLInputElement).value)}
            onBlur={() => {
              if (replicas === String(p.desired)) setEditing(false);
            }}
            data-scale-input={`${p.kind}/${ns}/${name}`}
          />
          <button type="submit" disabled={runner.busy} data-scale-button={`${p.kind}/${ns}/${name}`}>
            Scale
          </button>
        </form>
      )}
      {p.kind !== 'jobs' && (
        <button type="button" disabled={runner.busy} onClick={() => void runner.run(`rollout restart ${name}`, restartAction(p.kind, ns, name))}>
          Restart
        </button>
      )}
      {p.kind === 'deployments' && (
        <button type="button" disabled={runner.busy} onClick={() => void undo()}>
          Undo
        </button>
      )}
    </div>
  );
}
