// The networking.k8s.io printers, as kube's printers.go prints Ingresses (CLASS, HOSTS, ADDRESS, PORTS),
// IngressClasses (CONTROLLER, PARAMETERS) and NetworkPolicies (POD-SELECTOR). Server-side tables are
// generated wide, so ADDRESS is never shortened.
import type { Ingress, IngressClass, NetworkPolicy } from 'kubernetes-types/networking/v1';
import { age, ageCol, col, meta, nameCol, none, Printer, selectorString } from './common';

/** formatHosts: the first three rules' hosts, `+ N more...` past them, `*` when none names one. */
function hosts(ing: Ingress): string {
  const rules = ing.spec?.rules ?? [];
  const shown = rules.slice(0, 3).map((r) => r.host ?? '').filter((h) => h);
  if (!shown.length) return '*';
  return rules.length > 3 ? `${shown.join(',')} + ${rules.length - 3} more...` : shown.join(',');
}

export const ingressPrinter: Printer = {
  columns: [
    nameCol,
    col('Class', 'The name of the IngressClass resource that should be used for additional configuration'),
    col('Hosts', 'Hosts that incoming requests are matched against before the ingress rule'),
    col('Address', 'Address is a list containing ingress points for the load-balancer'),
    col('Ports', 'Ports of TLS configurations that open'),
    ageCol,
  ],
  cells(obj, now) {
    const ing = obj as Ingress;
    const address = (ing.status?.loadBalancer?.ingress ?? []).map((lb) => lb.ip || lb.hostname || '').filter((a) => a).join(',');
    return [meta(obj).name ?? '', ing.spec?.ingressClassName ?? none, hosts(ing), address, ing.spec?.tls?.length ? '80, 443' : '80', age(obj, now)];
  },
};

export const ingressClassPrinter: Printer = {
  columns: [nameCol, col('Controller', 'Controller that is responsible for handling this class'), col('Parameters', 'A reference to a resource with additional parameters'), ageCol],
  cells(obj, now) {
    const p = (obj as IngressClass).spec?.parameters;
    const parameters = p ? `${p.kind}${p.apiGroup ? `.${p.apiGroup}` : ''}/${p.name}` : none;
    return [meta(obj).name ?? '', (obj as IngressClass).spec?.controller ?? '', parameters, age(obj, now)];
  },
};

export const networkPolicyPrinter: Printer = {
  columns: [
    nameCol,
    col('Pod-Selector', 'Selects the pods to which this NetworkPolicy object applies. The array of ingress rules is applied to any pods selected by this field. Multiple network policies can select the same set of pods. In this case, the ingress rules for each are combined additively. This field is NOT optional and follows standard label selector semantics. An empty podSelector matches all pods in this namespace.'),
    ageCol,
  ],
  cells(obj, now) {
    return [meta(obj).name ?? '', selectorString((obj as NetworkPolicy).spec?.podSelector), age(obj, now)];
  },
};
