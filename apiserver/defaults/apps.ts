// Defaulting of the apps/v1 workloads (SetDefaults_Deployment, _ReplicaSet, _DaemonSet): replicas,
// update strategies, history limits, and their pod templates.
import { JsonMap, mapAt, setDefault } from './common';
import { defaultTemplate } from './pod';

export function defaultDeployment(d: JsonMap): void {
  const spec = mapAt(d, 'spec');
  if (!spec) return;
  setDefault(spec, 'replicas', 1);
  const strategy = mapAt(spec, 'strategy');
  if (strategy) {
    setDefault(strategy, 'type', 'RollingUpdate');
    if (strategy.type === 'RollingUpdate') {
      const rolling = mapAt(strategy, 'rollingUpdate');
      if (rolling) {
        setDefault(rolling, 'maxUnavailable', '25%');
        setDefault(rolling, 'maxSurge', '25%');
      }
    }
  }
  setDefault(spec, 'revisionHistoryLimit', 10);
  setDefault(spec, 'progressDeadlineSeconds', 600);
  defaultTemplate(d);
}

export function defaultReplicaSet(rs: JsonMap): void {
  const spec = mapAt(rs, 'spec');
  if (!spec) return;
  setDefault(spec, 'replicas', 1);
  defaultTemplate(rs);
}

export function defaultDaemonSet(ds: JsonMap): void {
  const spec = mapAt(ds, 'spec');
  if (!spec) return;
  const strategy = mapAt(spec, 'updateStrategy');
  if (strategy) {
    setDefault(strategy, 'type', 'RollingUpdate');
    if (strategy.type === 'RollingUpdate') {
      const rolling = mapAt(strategy, 'rollingUpdate');
      if (rolling) {
        setDefault(rolling, 'maxUnavailable', 1);
        setDefault(rolling, 'maxSurge', 0);
      }
    }
  }
  setDefault(spec, 'revisionHistoryLimit', 10);
  defaultTemplate(ds);
}

export function defaultStatefulSet(sts: JsonMap): void {
  const spec = mapAt(sts, 'spec');
  if (!spec) return;
  setDefault(spec, 'replicas', 1);
  setDefault(spec, 'podManagementPolicy', 'OrderedReady');
  const strategy = mapAt(spec, 'updateStrategy');
  if (strategy) {
    setDefault(strategy, 'type', 'RollingUpdate');
    if (strategy.type === 'RollingUpdate') {
      const rolling = mapAt(strategy, 'rollingUpdate');
      if (rolling) setDefault(rolling, 'partition', 0);
    }
  }
  setDefault(spec, 'revisionHistoryLimit', 10);
  const retention = mapAt(spec, 'persistentVolumeClaimRetentionPolicy');
  if (retention) {
    setDefault(retention, 'whenDeleted', 'Retain');
    setDefault(retention, 'whenScaled', 'Retain');
  }
  for (const t of Array.isArray(spec.volumeClaimTemplates) ? spec.volumeClaimTemplates : []) {
    if (t && typeof t === 'object') {
      const tspec = mapAt(t as JsonMap, 'spec');
      if (tspec) setDefault(tspec, 'volumeMode', 'Filesystem');
      const tstatus = mapAt(t as JsonMap, 'status');
      if (tstatus) setDefault(tstatus, 'phase', 'Pending');
    }
  }
  defaultTemplate(sts);
}
