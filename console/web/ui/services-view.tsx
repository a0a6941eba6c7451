// Services with their endpoints: type, ClusterIP, ports, selector, and the Endpoints the controllers
// keep (ready addresses, and not-ready ones apart), each address linked to its pod.
import type { Endpoints, Service } from 'kubernetes-types/core/v1';
import { KindStatusLine, Section } from './common';
import { useConsole } from './context';
import { href, useKinds } from './hooks';

export function ServicesView() {
  const store = useKinds('services', 'endpoints');
  const { namespace } = useConsole();
  const services = (store.list('services') as Service[])
    .filter((s) => !namespace || s.metadata?.namespace === namespace)
    .sort((a, b) => `${a.metadata?.namespace}/${a.metadata?.name}`.localeCompare(`${b.metadata?.namespace}/${b.metadata?.name}`));
  return (
    <div class="view" data-view="services">
      <h1>Services</h1>
      <KindStatusLine kinds={['services', 'endpoints']} />
      <Section title="Services and endpoints">
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Namespace</th>
                <th scope="col">Type</th>
                <th scope="col">Cluster IP</th>
                <th scope="col">Ports</th>
                <th scope="col">Selector</th>
                <th scope="col">Endpoints</th>
              </tr>
            </thead>
            <tbody>
              {services.map((s) => {
                const ep = store.get('endpoints', `${s.metadata?.namespace}/${s.metadata?.name}`) as Endpoints | undefined;
                const ready: Array<{ ip: string; pod?: string; port: string }> = [];
                const notReady: Array<{ ip: string; pod?: string; port: string }> = [];
                for (const sub of ep?.subsets ?? []) {
                  const ports = (sub.ports ?? []).map((p) => String(p.port)).join(',');
                  for (const a of sub.addresses ?? []) ready.push({ ip: a.ip, pod: a.targetRef?.name, port: ports });
                  for (const a of sub.notReadyAddresses ?? []) notReady.push({ ip: a.ip, pod: a.targetRef?.name, port: ports });
                }
                const ns = s.metadata?.namespace ?? '';
                return (
                  <tr key={s.metadata?.uid} data-service={`${ns}/${s.metadata?.name}`}>
                    <th scope="row">{s.metadata?.name}</th>
                    <td>{ns}</td>
                    <td>{s.spec?.type ?? 'ClusterIP'}</td>
                    <td>
                      <code>{s.spec?.clusterIP}</code>
                    </td>
                    <td>{(s.spec?.ports ?? []).map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}→${p.targetPort ?? p.port}/${p.protocol ?? 'TCP'}`).join(', ')}</td>
                    <td>
                      <code>{Object.entries(s.spec?.selector ?? {}).map(([k, v]) => `${k}=${v}`).join(',') || '—'}</code>
                    </td>
                    <td class="endpoints">
                      {ready.length === 0 && notReady.length === 0 && <span class="muted">none</span>}
                      {ready.map((a) => (
                        <a key={a.ip} class="chip ok" href={a.pod ? href('pods', ns, a.pod) : undefined}>
                          <code>
                            {a.ip}:{a.port}
                          </code>
                        </a>
                      ))}
                      {notReady.map((a) => (
                        <a key={a.ip} class="chip warn" href={a.pod ? href('pods', ns, a.pod) : undefined} title="not ready">
                          <code>
                            {a.ip}:{a.port}
                          </code>{' '}
                          not ready
                        </a>
                      ))}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      </Section>
    </div>
  );
}
