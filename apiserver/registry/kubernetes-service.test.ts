// The default/kubernetes Service's pure parts: its ClusterIP, its objects, and the default advertise address.
import * as os from 'node:os';
import { apiserverLeaseName, defaultAdvertiseAddress, endpointSubsets, firstServiceIP, kubernetesEndpoints, kubernetesService } from './kubernetes-service';

test('the first address of the service range, port 443 to the secure port, Endpoints at the advertise address', () => {
  expect(firstServiceIP('10.96.0.0/12')).toBe('10.96.0.1');
  expect(firstServiceIP('172.20.0.0/16')).toBe('172.20.0.1');
  const o = { serviceCIDR: '10.96.0.0/12', advertiseAddress: '192.0.2.7', port: 6443 };
  expect(kubernetesService(o).spec).toEqual({ type: 'ClusterIP', clusterIP: '10.96.0.1', ports: [{ name: 'https', protocol: 'TCP', port: 443, targetPort: 6443 }], sessionAffinity: 'None' });
  expect(kubernetesEndpoints(o).subsets).toEqual([{ addresses: [{ ip: '192.0.2.7' }], ports: [{ name: 'https', port: 6443, protocol: 'TCP' }] }]);
});

test('the advertise address: a specific bind address, else the default route’s interface', () => {
  expect(defaultAdvertiseAddress('192.0.2.5')).toBe('192.0.2.5');
  const addr = defaultAdvertiseAddress('0.0.0.0');
  expect(addr).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
  expect(defaultAdvertiseAddress('127.0.0.1')).toBe(addr);
  const external = Object.values(os.networkInterfaces()).flat().filter((a) => a && a.family === 'IPv4' && !a.internal);
  if (external.length) expect(external.map((a) => a!.address)).toContain(addr);
  else expect(addr).toBe('127.0.0.1');
});

test("several apiservers' Endpoints: one subset per port, addresses in order; each apiserver's Lease name", () => {
  const o = { serviceCIDR: '10.96.0.0/12', advertiseAddress: '192.0.2.7', port: 6443 };
  const live = [
    { ip: '192.0.2.10', port: 6443 },
    { ip: '192.0.2.7', port: 6443 },
    { ip: '127.0.0.1', port: 7443 },
  ];
  expect(kubernetesEndpoints(o, live).subsets).toEqual([
    { addresses: [{ ip: '192.0.2.7' }, { ip: '192.0.2.10' }], ports: [{ name: 'https', port: 6443, protocol: 'TCP' }] },
    { addresses: [{ ip: '127.0.0.1' }], ports: [{ name: 'https', port: 7443, protocol: 'TCP' }] },
  ]);
  expect(endpointSubsets([])).toEqual([]);
  expect(apiserverLeaseName({ ip: '192.0.2.7', port: 6443 })).toBe('apiserver-192-0-2-7-6443');
});
