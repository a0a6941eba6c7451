// Server-side tables (meta.k8s.io/v1 Table) with the columns and cell formats of Kubernetes' printers
// (pkg/printers/internalversion), which is what `kubectl get` prints. Pure: `now` is passed in.
import type { DaemonSet, Deployment, ReplicaSet } from 'kubernetes-types/apps/v1';
import type { Job } from 'kubernetes-types/batch/v1';
import type { Lease } from 'kubernetes-types/coordination/v1';
import type {
  ConfigMap,
  Container,
  Endpoints,
  Event,
  Namespace,
  Node,
  Pod,
  PodSpec,
  Secret,
  Service,
  ServiceAccount,
} from 'kubernetes-types/core/v1';
import type { LabelSelector, ObjectMeta } from 'kubernetes-types/meta/v1';
import type { ResourceType } from '../lib/api/resources';
import { labelSelectorToString } from '../lib/api/selectors';

export interface TableColumnDefinition {
  name: string;
  type: string; // 'string' | 'integer' | 'number' | 'boolean' | 'date'
  format: string; // 'name' for the Name column, else ''
  description: string;
  priority: number; // 0 always shown, 1 with -o wide
}

export type TableCell = string | number | boolean | null;

export interface PartialObjectMetadata {
  kind: 'PartialObjectMetadata';
  apiVersion: 'meta.k8s.io/v1';
  metadata: ObjectMeta;
}

export interface TableRow {
  cells: TableCell[];
  /** PartialObjectMetadata by default; the whole object with includeObject 'Object'; absent with 'None'. */
  object?: PartialObjectMetadata | Record<string, unknown>;
}

export interface Table {
  kind: 'Table';
  apiVersion: 'meta.k8s.io/v1';
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  columnDefinitions: TableColumnDefinition[];
  rows: TableRow[];
}

export interface TableOptions {
  /** The current time in ms since the epoch, for the Age columns. */
  now: number;
  /** Default true; a watch sends them only with its first event. */
  includeColumnDefinitions?: boolean;
  /** What each row's `object` holds (Kubernetes' includeObject parameter); default 'Metadata'. */
  includeObject?: 'None' | 'Metadata' | 'Object';
}

// ---- durations, as apimachinery's duration.HumanDuration ----

/** A duration as Kubernetes prints ages: `9s`, `119s`, `5m3s`, `15m`, `3h5m`, `10h`, `2d3h`, `30d`, `2y5d`. */
export function formatAge(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const days = Math.floor(hours / 24) % 365;
    const years = Math.floor(hours / 24 / 365);
    return days === 0 ? `${years}y` : `${years}y${days}d`;
  }
  return `${Math.floor(hours / 24 / 365)}y`;
}

/** The age of a timestamp (RFC 3339) at `now`, or `<unknown>` when there is none. */
export function ageSince(timestamp: string | undefined | null, now: number): string {
  if (!timestamp) return '<unknown>';
  const t = Date.parse(timestamp);
  return Number.isNaN(t) ? '<unknown>' : formatAge(now - t);
}

// ---- columns ----

const col = (name: string, description: string, priority = 0, type = 'string'): TableColumnDefinition => ({
  name,
  type,
  format: name === 'Name' ? 'name' : '',
  description,
  priority,
});

const nameCol = col('Name', 'Name must be unique within a namespace. Cannot be updated.');
const ageCol = col(
  'Age',
  'CreationTimestamp is a timestamp representing the server time when this object was created, shown as the time since then.',
);
const containersCol = col('Containers', 'Names of each container in the template.', 1);
const imagesCol = col('Images', 'Images referenced by each container in the template.', 1);
const selectorCol = col('Selector', 'Label query over pods that should match the replicas count.', 1);

interface Printer {
  columns: TableColumnDefinition[];
  cells(obj: Record<string, unknown>, now: number): TableCell[];
}

const none = '<none>';

function meta(obj: Record<string, unknown>): ObjectMeta {
  const m = obj.metadata;
  return m !== null && typeof m === 'object' && !Array.isArray(m) ? (m as ObjectMeta) : {};
}

function age(obj: Record<string, unknown>, now: number): string {
  return ageSince(meta(obj).creationTimestamp, now);
}

function selectorString(sel: LabelSelector | undefined): string {
  try {
    return labelSelectorToString(sel) || none;
  } catch {
    return none;
  }
}

/** A label set as Kubernetes prints it (labels.Set.String: sorted `k=v` joined by commas), `<none>` if empty. */
function labelSetString(set: Record<string, string> | undefined): string {
  const keys = Object.keys(set ?? {}).sort();
  return keys.length ? keys.map((k) => `${k}=${(set ?? {})[k]}`).join(',') : none;
}

function containerColumns(spec: PodSpec | undefined): [string, string] {
  const containers: Container[] = spec?.containers ?? [];
  return [containers.map((c) => c.name).join(','), containers.map((c) => c.image ?? '').join(',')];
}

// ---- pods ----

/** The STATUS, READY and RESTARTS of a pod as kubectl shows them (printPod). */
export function podStatusSummary(pod: Pod, now: number): { status: string; ready: string; restarts: number | string } {
  const spec = pod.spec ?? { containers: [] };
  const status = pod.status ?? {};
  let restarts = 0;
  let restartableInits = 0;
  let readyContainers = 0;
  let lastRestart = 0;
  let reason: string = status.reason || status.phase || '';

  for (const c of spec.initContainers ?? []) if (c.restartPolicy === 'Always') restartableInits++;
  const totalContainers = (spec.containers ?? []).length + restartableInits;

  const scheduled = (status.conditions ?? []).find((c) => c.type === 'PodScheduled');
  if (scheduled?.status === 'False' && scheduled.reason === 'SchedulingGated') reason = 'SchedulingGated';

  const noteRestart = (finishedAt: string | undefined): void => {
    const t = finishedAt ? Date.parse(finishedAt) : NaN;
    if (!Number.isNaN(t) && t > lastRestart) lastRestart = t;
  };

  let initializing = false;
  const initSpecs = spec.initContainers ?? [];
  const initStatuses = status.initContainerStatuses ?? [];
  for (let i = 0; i < initStatuses.length; i++) {
    const cs = initStatuses[i];
    restarts += cs.restartCount ?? 0;
    noteRestart(cs.lastState?.terminated?.finishedAt);
    const restartable = initSpecs.find((c) => c.name === cs.name)?.restartPolicy === 'Always';
    if (restartable && cs.started) {
      if (cs.ready) readyContainers++;
      continue;
    }
    const terminated = cs.state?.terminated;
    const waiting = cs.state?.waiting;
    if (terminated && terminated.exitCode === 0) continue;
    if (terminated) {
      if (!terminated.reason) {
        reason = terminated.signal ? `Init:Signal:${terminated.signal}` : `Init:ExitCode:${terminated.exitCode}`;
      } else {
        reason = `Init:${terminated.reason}`;
      }
    } else if (waiting && waiting.reason && waiting.reason !== 'PodInitializing') {
      reason = `Init:${waiting.reason}`;
    } else {
      reason = `Init:${i}/${initSpecs.length}`;
    }
    initializing = true;
    break;
  }

  const initialized = (status.conditions ?? []).some((c) => c.type === 'Initialized' && c.status === 'True');
  if (!initializing || initialized) {
    restarts = 0;
    let hasRunning = false;
    const statuses = status.containerStatuses ?? [];
    for (let i = statuses.length - 1; i >= 0; i--) {
      const cs = statuses[i];
      restarts += cs.restartCount ?? 0;
      noteRestart(cs.lastState?.terminated?.finishedAt);
      const waiting = cs.state?.waiting;
      const terminated = cs.state?.terminated;
      if (waiting?.reason) reason = waiting.reason;
      else if (terminated?.reason) reason = terminated.reason;
      else if (terminated) reason = terminated.signal ? `Signal:${terminated.signal}` : `ExitCode:${terminated.exitCode}`;
      else if (cs.ready && cs.state?.running) {
        hasRunning = true;
        readyContainers++;
      }
    }
    if (reason === 'Completed' && hasRunning) {
      const podReady = (status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
      reason = podReady ? 'Running' : 'NotReady';
    }
  }

  if (pod.metadata?.deletionTimestamp) reason = status.reason === 'NodeLost' ? 'Unknown' : 'Terminating';

  const restartsCell: number | string = restarts !== 0 && lastRestart > 0 ? `${restarts} (${formatAge(now - lastRestart)} ago)` : restarts;
  return { status: reason, ready: `${readyContainers}/${totalContainers}`, restarts: restartsCell };
}

const podPrinter: Printer = {
  columns: [
    nameCol,
    col('Ready', 'The aggregate readiness state of this pod for accepting traffic.'),
    col('Status', 'The aggregate status of the containers in this pod.'),
    col('Restarts', 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.'),
    ageCol,
    col('IP', 'IP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.', 1),
    col('Node', "NodeName is a request to schedule this pod onto a specific node.", 1),
    col('Nominated Node', 'nominatedNodeName is set only when this pod preempts other pods on the node.', 1),
    col('Readiness Gates', 'If specified, all readiness gates will be evaluated for pod readiness.', 1),
  ],
  cells(obj, now) {
    const pod = obj as Pod;
    const { status, ready, restarts } = podStatusSummary(pod, now);
    const gates = pod.spec?.readinessGates ?? [];
    let gatesCell = none;
    if (gates.length > 0) {
      const conditions = pod.status?.conditions ?? [];
      const trueCount = gates.filter((g) => conditions.some((c) => c.type === g.conditionType && c.status === 'True')).length;
      gatesCell = `${trueCount}/${gates.length}`;
    }
    return [
      meta(obj).name ?? '',
      ready,
      status,
      restarts,
      age(obj, now),
      pod.status?.podIP || none,
      pod.spec?.nodeName || none,
      pod.status?.nominatedNodeName || none,
      gatesCell,
    ];
  },
};

// ---- workloads ----

const deploymentPrinter: Printer = {
  columns: [
    nameCol,
    col('Ready', 'Number of the pod with ready state'),
    col('Up-to-date', 'Total number of non-terminated pods targeted by this deployment that have the desired template spec.', 0, 'integer'),
    col('Available', 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.', 0, 'integer'),
    ageCol,
    containersCol,
    imagesCol,
    selectorCol,
  ],
  cells(obj, now) {
    const d = obj as Deployment;
    const [containers, images] = containerColumns(d.spec?.template?.spec);
    return [
      meta(obj).name ?? '',
      `${d.status?.readyReplicas ?? 0}/${d.spec?.replicas ?? 0}`,
      d.status?.updatedReplicas ?? 0,
      d.status?.availableReplicas ?? 0,
      age(obj, now),
      containers,
      images,
      selectorString(d.spec?.selector),
    ];
  },
};

const replicaSetPrinter: Printer = {
  columns: [
    nameCol,
    col('Desired', 'Number of desired pods.', 0, 'integer'),
    col('Current', 'Number of actual running pods.', 0, 'integer'),
    col('Ready', 'The number of ready pods targeted by this ReplicaSet.', 0, 'integer'),
    ageCol,
    containersCol,
    imagesCol,
    selectorCol,
  ],
  cells(obj, now) {
    const rs = obj as ReplicaSet;
    const [containers, images] = containerColumns(rs.spec?.template?.spec);
    return [
      meta(obj).name ?? '',
      rs.spec?.replicas ?? 0,
      rs.status?.replicas ?? 0,
      rs.status?.readyReplicas ?? 0,
      age(obj, now),
      containers,
      images,
      selectorString(rs.spec?.selector),
    ];
  },
};

const daemonSetPrinter: Printer = {
  columns: [
    nameCol,
    col('Desired', 'The total number of nodes that should be running the daemon pod.', 0, 'integer'),
    col('Current', 'The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod.', 0, 'integer'),
    col('Ready', 'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and ready.', 0, 'integer'),
    col('Up-to-date', 'The total number of nodes that are running updated daemon pod.', 0, 'integer'),
    col('Available', 'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available.', 0, 'integer'),
    col('Node Selector', 'NodeSelector is a selector which must be true for the pod to fit on a node.'),
    ageCol,
    containersCol,
    imagesCol,
    selectorCol,
  ],
  cells(obj, now) {
    const ds = obj as DaemonSet;
    const [containers, images] = containerColumns(ds.spec?.template?.spec);
    return [
      meta(obj).name ?? '',
      ds.status?.desiredNumberScheduled ?? 0,
      ds.status?.currentNumberScheduled ?? 0,
      ds.status?.numberReady ?? 0,
      ds.status?.updatedNumberScheduled ?? 0,
      ds.status?.numberAvailable ?? 0,
      labelSetString(ds.spec?.template?.spec?.nodeSelector),
      age(obj, now),
      containers,
      images,
      selectorString(ds.spec?.selector),
    ];
  },
};

// ---- services and endpoints ----

function serviceExternalIP(svc: Service): string {
  const spec = svc.spec ?? {};
  const externalIPs = spec.externalIPs ?? [];
  switch (spec.type ?? 'ClusterIP') {
    case 'ClusterIP':
    case 'NodePort':
      return externalIPs.length ? externalIPs.join(',') : none;
    case 'LoadBalancer': {
      const ingress = (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip || i.hostname || '').filter((s) => s);
      const all = [...ingress, ...externalIPs];
      return all.length ? all.join(',') : '<pending>';
    }
    case 'ExternalName':
      return spec.externalName ?? '';
    default:
      return '<unknown>';
  }
}

function servicePorts(svc: Service): string {
  const ports = svc.spec?.ports ?? [];
  if (ports.length === 0) return none;
  return ports
    .map((p) => (p.nodePort ? `${p.port}:${p.nodePort}/${p.protocol ?? 'TCP'}` : `${p.port}/${p.protocol ?? 'TCP'}`))
    .join(',');
}

const servicePrinter: Printer = {
  columns: [
    nameCol,
    col('Type', 'type determines how the Service is exposed.'),
    col('Cluster-IP', 'clusterIP is the IP address of the service and is usually assigned randomly.'),
    col('External-IP', 'externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.'),
    col('Port(s)', 'The list of ports that are exposed by this service.'),
    ageCol,
    col('Selector', 'Route service traffic to pods with label keys and values matching this selector.', 1),
  ],
  cells(obj, now) {
    const svc = obj as Service;
    return [
      meta(obj).name ?? '',
      svc.spec?.type ?? 'ClusterIP',
      svc.spec?.clusterIP || none,
      serviceExternalIP(svc),
      servicePorts(svc),
      age(obj, now),
      labelSetString(svc.spec?.selector),
    ];
  },
};

/** `10.0.0.1:80,10.0.0.2:80,10.0.0.3:80 + 2 more...` (formatEndpoints). */
export function formatEndpoints(ep: Endpoints): string {
  const list: string[] = [];
  let count = 0;
  const max = 3;
  for (const subset of ep.subsets ?? []) {
    const addresses = subset.addresses ?? [];
    const ports = subset.ports ?? [];
    if (ports.length === 0) {
      for (const a of addresses) {
        if (list.length < max) list.push(a.ip);
        count++;
      }
      continue;
    }
    for (const p of ports) {
      for (const a of addresses) {
        if (list.length < max) list.push(`${a.ip}:${p.port}`);
        count++;
      }
    }
  }
  if (count === 0) return none;
  const s = list.join(',');
  return count > max ? `${s} + ${count - max} more...` : s;
}

const endpointsPrinter: Printer = {
  columns: [nameCol, col('Endpoints', 'Endpoints of the service.'), ageCol],
  cells: (obj, now) => [meta(obj).name ?? '', formatEndpoints(obj as Endpoints), age(obj, now)],
};

// ---- nodes and namespaces ----

/** `Ready`, `NotReady`, `Unknown`, with `,SchedulingDisabled` when cordoned. */
export function nodeStatus(node: Node): string {
  const ready = (node.status?.conditions ?? []).find((c) => c.type === 'Ready');
  const parts = [ready ? (ready.status === 'True' ? 'Ready' : 'NotReady') : 'Unknown'];
  if (node.spec?.unschedulable) parts.push('SchedulingDisabled');
  return parts.join(',');
}

/** The roles from `node-role.kubernetes.io/<role>` labels and the `kubernetes.io/role` label, sorted. */
export function nodeRoles(node: Node): string[] {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(node.metadata?.labels ?? {})) {
    if (k.startsWith('node-role.kubernetes.io/')) {
      const role = k.slice('node-role.kubernetes.io/'.length);
      if (role) roles.add(role);
    } else if (k === 'kubernetes.io/role' && v) {
      roles.add(v);
    }
  }
  return [...roles].sort();
}

function nodeAddress(node: Node, type: string): string {
  return (node.status?.addresses ?? []).find((a) => a.type === type)?.address || none;
}

const nodePrinter: Printer = {
  columns: [
    nameCol,
    col('Status', 'The status of the node'),
    col('Roles', 'The roles of the node'),
    ageCol,
    col('Version', 'Kubelet Version reported by the node.'),
    col('Internal-IP', 'List of addresses reachable to the node.', 1),
    col('External-IP', 'List of addresses reachable to the node.', 1),
    col('OS-Image', 'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).', 1),
    col('Kernel-Version', "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).", 1),
    col('Container-Runtime', 'ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).', 1),
  ],
  cells(obj, now) {
    const node = obj as Node;
    const info = node.status?.nodeInfo;
    const roles = nodeRoles(node);
    return [
      meta(obj).name ?? '',
      nodeStatus(node),
      roles.length ? roles.join(',') : none,
      age(obj, now),
      info?.kubeletVersion ?? '',
      nodeAddress(node, 'InternalIP'),
      nodeAddress(node, 'ExternalIP'),
      info?.osImage || '<unknown>',
      info?.kernelVersion || '<unknown>',
      info?.containerRuntimeVersion || '<unknown>',
    ];
  },
};

const namespacePrinter: Printer = {
  columns: [nameCol, col('Status', 'The status of the namespace'), ageCol],
  cells: (obj, now) => [meta(obj).name ?? '', (obj as Namespace).status?.phase ?? '', age(obj, now)],
};

// ---- events ----

function eventSource(ev: Event): string {
  const component = ev.source?.component || ev.reportingComponent || '';
  const host = ev.source?.host || ev.reportingInstance || '';
  return host ? `${component}, ${host}` : component;
}

const eventPrinter: Printer = {
  columns: [
    col('Last Seen', 'The time since the event was last observed.'),
    col('Type', 'Type of this event (Normal, Warning), new types could be added in the future.'),
    col('Reason', 'This should be a short, machine understandable string that gives the reason for the transition into the object\'s current status.'),
    col('Object', 'The object that this event is about.'),
    col('Subobject', 'The field of the object that this event is about, if any.', 1),
    col('Source', 'The component reporting this event.', 1),
    col('Message', 'A human-readable description of the status of this operation.'),
    col('First Seen', 'The time since the event was first observed.', 1),
    col('Count', 'The number of times this event has occurred.', 1, 'integer'),
    { ...nameCol, priority: 1 },
  ],
  cells(obj, now) {
    const ev = obj as unknown as Event;
    const firstSeen = ev.firstTimestamp ? ageSince(ev.firstTimestamp, now) : ageSince(ev.eventTime, now);
    let lastSeen = ev.lastTimestamp ? ageSince(ev.lastTimestamp, now) : firstSeen;
    let count = ev.count ?? 0;
    if (ev.series) {
      lastSeen = ageSince(ev.series.lastObservedTime, now);
      count = ev.series.count ?? 0;
    } else if (count === 0) {
      count = 1; // events of the new API carry no count for a single occurrence
    }
    const kind = (ev.involvedObject?.kind ?? '').toLowerCase();
    const target = ev.involvedObject?.name ? `${kind}/${ev.involvedObject.name}` : kind;
    return [
      lastSeen,
      ev.type ?? '',
      ev.reason ?? '',
      target,
      ev.involvedObject?.fieldPath ?? '',
      eventSource(ev),
      (ev.message ?? '').trim(),
      firstSeen,
      count,
      meta(obj).name ?? '',
    ];
  },
};

// ---- config and identity ----

const configMapPrinter: Printer = {
  columns: [nameCol, col('Data', 'Number of data entries in this ConfigMap.', 0, 'integer'), ageCol],
  cells(obj, now) {
    const cm = obj as ConfigMap;
    return [meta(obj).name ?? '', Object.keys(cm.data ?? {}).length + Object.keys(cm.binaryData ?? {}).length, age(obj, now)];
  },
};

const secretPrinter: Printer = {
  columns: [nameCol, col('Type', 'The type of the secret'), col('Data', 'The number of data entries in the secret', 0, 'integer'), ageCol],
  cells(obj, now) {
    const s = obj as Secret;
    return [meta(obj).name ?? '', s.type ?? 'Opaque', Object.keys(s.data ?? {}).length, age(obj, now)];
  },
};

const serviceAccountPrinter: Printer = {
  columns: [nameCol, col('Secrets', 'Secrets is the list of secrets allowed to be used by pods running using this ServiceAccount.', 0, 'integer'), ageCol],
  cells: (obj, now) => [meta(obj).name ?? '', ((obj as ServiceAccount).secrets ?? []).length, age(obj, now)],
};

const leasePrinter: Printer = {
  columns: [nameCol, col('Holder', 'The holder of the lease.'), ageCol],
  cells: (obj, now) => [meta(obj).name ?? '', (obj as Lease).spec?.holderIdentity ?? '', age(obj, now)],
};

const defaultPrinter: Printer = {
  columns: [nameCol, ageCol],
  cells: (obj, now) => [meta(obj).name ?? '', age(obj, now)],
};

/** COMPLETIONS as kubectl prints it: `1/3`, or `0/1 of 4` for a work queue (no completions). */
function jobCompletions(job: Job): string {
  const succeeded = job.status?.succeeded ?? 0;
  if (job.spec?.completions !== undefined) return `${succeeded}/${job.spec.completions}`;
  const parallelism = job.spec?.parallelism ?? 0;
  return parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
}

/** DURATION: start to completion, or start to now while running; empty before the Job starts. */
function jobDuration(job: Job, now: number): string {
  const start = job.status?.startTime ? Date.parse(job.status.startTime) : NaN;
  if (Number.isNaN(start)) return '';
  const end = job.status?.completionTime ? Date.parse(job.status.completionTime) : now;
  return formatAge((Number.isNaN(end) ? now : end) - start);
}

const jobPrinter: Printer = {
  columns: [
    nameCol,
    col('Completions', 'The number of pods which reached phase Succeeded.'),
    col('Duration', 'Time required to complete the job.'),
    ageCol,
    containersCol,
    imagesCol,
    col(
      'Selector',
      'A label query over pods that should match the pod count. Normally, the system sets this field for you. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors',
      1,
    ),
  ],
  cells(obj, now) {
    const job = obj as Job;
    const [containers, images] = containerColumns(job.spec?.template?.spec);
    return [
      meta(obj).name ?? '',
      jobCompletions(job),
      jobDuration(job, now),
      age(obj, now),
      containers,
      images,
      selectorString(job.spec?.selector),
    ];
  },
};

const printers: Record<string, Printer> = {
  'batch/jobs': jobPrinter,
  '/pods': podPrinter,
  'apps/deployments': deploymentPrinter,
  'apps/replicasets': replicaSetPrinter,
  'apps/daemonsets': daemonSetPrinter,
  '/services': servicePrinter,
  '/endpoints': endpointsPrinter,
  '/nodes': nodePrinter,
  '/namespaces': namespacePrinter,
  '/events': eventPrinter,
  '/configmaps': configMapPrinter,
  '/secrets': secretPrinter,
  '/serviceaccounts': serviceAccountPrinter,
  'coordination.k8s.io/leases': leasePrinter,
};

/** The column definitions of a resource's table. */
export function tableColumns(resource: ResourceType): TableColumnDefinition[] {
  return (printers[`${resource.group}/${resource.resource}`] ?? defaultPrinter).columns.map((c) => ({ ...c }));
}

/** Builds the Table kubectl asks for (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`). */
export function toTable(resource: ResourceType, objects: unknown[], opts: TableOptions): Table {
  const printer = printers[`${resource.group}/${resource.resource}`] ?? defaultPrinter;
  const includeObject = opts.includeObject ?? 'Metadata';
  const rows: TableRow[] = [];
  for (const o of objects) {
    if (o === null || typeof o !== 'object' || Array.isArray(o)) continue;
    const obj = o as Record<string, unknown>;
    let cells: TableCell[];
    try {
      cells = printer.cells(obj, opts.now);
    } catch {
      // A stored object of an unexpected shape still gets a row rather than failing the whole list.
      cells = printer.columns.map((c, i) => (i === 0 ? (meta(obj).name ?? '') : c.name === 'Age' ? age(obj, opts.now) : '<unknown>'));
    }
    const row: TableRow = { cells };
    if (includeObject === 'Metadata') {
      row.object = { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: meta(obj) };
    } else if (includeObject === 'Object') {
      row.object = obj;
    }
    rows.push(row);
  }
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: {},
    columnDefinitions: opts.includeColumnDefinitions === false ? [] : printer.columns.map((c) => ({ ...c })),
    rows,
  };
}
