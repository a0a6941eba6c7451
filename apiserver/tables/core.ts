// Printers of the core/v1 kinds other than pods (Services, Endpoints, Nodes, Namespaces, Events,
// ConfigMaps, Secrets, ServiceAccounts) and of coordination.k8s.io Leases.
import type { Lease } from 'kubernetes-types/coordination/v1';
import type { ConfigMap, Endpoints, Event, Namespace, Node, Secret, Service, ServiceAccount } from 'kubernetes-types/core/v1';
import { age, ageCol, ageSince, col, labelSetString, meta, nameCol, none, Printer } from './common';

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

export const servicePrinter: Printer = {
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

export const endpointsPrinter: Printer = {
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

export const nodePrinter: Printer = {
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

export const namespacePrinter: Printer = {
  columns: [nameCol, col('Status', 'The status of the namespace'), ageCol],
  cells: (obj, now) => [meta(obj).name ?? '', (obj as Namespace).status?.phase ?? '', age(obj, now)],
};

// ---- events ----

function eventSource(ev: Event): string {
  const component = ev.source?.component || ev.reportingComponent || '';
  const host = ev.source?.host || ev.reportingInstance || '';
  return host ? `${component}, ${host}` : component;
}

export const eventPrinter: Printer = {
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

export const configMapPrinter: Printer = {
  columns: [nameCol, col('Data', 'Number of data entries in this ConfigMap.', 0, 'integer'), ageCol],
  cells(obj, now) {
    const cm = obj as ConfigMap;
    return [meta(obj).name ?? '', Object.keys(cm.data ?? {}).length + Object.keys(cm.binaryData ?? {}).length, age(obj, now)];
  },
};

export const secretPrinter: Printer = {
  columns: [nameCol, col('Type', 'The type of the secret'), col('Data', 'The number of data entries in the secret', 0, 'integer'), ageCol],
  cells(obj, now) {
    const s = obj as Secret;
    return [meta(obj).name ?? '', s.type ?? 'Opaque', Object.keys(s.data ?? {}).length, age(obj, now)];
  },
};

export const serviceAccountPrinter: Printer = {
  columns: [nameCol, col('Secrets', 'Secrets is the list of secrets allowed to be used by pods running using this ServiceAccount.', 0, 'integer'), ageCol],
  cells: (obj, now) => [meta(obj).name ?? '', ((obj as ServiceAccount).secrets ?? []).length, age(obj, now)],
};

export const leasePrinter: Printer = {
  columns: [nameCol, col('Holder', 'The holder of the lease.'), ageCol],
  cells: (obj, now) => [meta(obj).name ?? '', (obj as Lease).spec?.holderIdentity ?? '', age(obj, now)],
};
