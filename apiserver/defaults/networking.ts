// Defaulting of networking.k8s.io/v1 (SetDefaults_NetworkPolicyPort, SetDefaults_NetworkPolicy): a
// policy port's protocol is TCP; a policy without policyTypes is an Ingress policy, and an Egress one too
// when it has egress rules.
import { JsonMap, mapAt, mapsIn, setDefault } from './common';

export function defaultNetworkPolicy(np: JsonMap): void {
  const spec = mapAt(np, 'spec');
  if (!spec) return;
  for (const rule of [...mapsIn(spec, 'ingress'), ...mapsIn(spec, 'egress')]) {
    for (const port of mapsIn(rule, 'ports')) setDefault(port, 'protocol', 'TCP');
  }
  const types = spec.policyTypes;
  if (!Array.isArray(types) || types.length === 0) {
    spec.policyTypes = Array.isArray(spec.egress) && spec.egress.length ? ['Ingress', 'Egress'] : ['Ingress'];
  }
}
