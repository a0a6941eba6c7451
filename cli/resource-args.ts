// kubectl's ways of naming what a verb acts on: `pods`, `pod web`, `pod/web deploy/nginx`,
// `pods,services`, `all`.
import { ResourceType, allResources, findResource } from '../lib/api/resources';

export interface ResourceSelection {
  resource: ResourceType;
  names: string[]; // empty: every object of the type
}

/** The types `all` expands to, in kubectl's order. */
export function allCategory(): ResourceType[] {
  const order = ['pods', 'services', 'daemonsets', 'deployments', 'replicasets', 'statefulsets', 'horizontalpodautoscalers', 'jobs', 'cronjobs'];
  const rank = (r: ResourceType) => (order.includes(r.resource) ? order.indexOf(r.resource) : order.length);
  return allResources.filter((r) => r.categories.includes('all')).sort((a, b) => rank(a) - rank(b));
}

export function resolveResource(name: string): ResourceType {
  const r = findResource(name);
  if (!r) throw new Error(`the server doesn't have a resource type "${name}"`);
  return r;
}

function resolveTypes(spec: string): ResourceType[] {
  const out: ResourceType[] = [];
  for (const part of spec.split(',').filter(Boolean)) {
    if (part.toLowerCase() === 'all') out.push(...allCategory());
    else out.push(resolveResource(part));
  }
  return out;
}

export function parseResourceArgs(args: string[]): ResourceSelection[] {
  if (args.length === 0) {
    throw new Error('You must specify the type of resource to get. Use "steer api-resources" for a complete list of supported resources.');
  }
  if (args.some((a) => a.includes('/'))) {
    const out: ResourceSelection[] = [];
    for (const a of args) {
      const slash = a.indexOf('/');
      if (slash <= 0 || slash === a.length - 1) {
        throw new Error(`there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'steer get resource/<resource_name>' instead of 'steer get resource resource/<resource_name>'`);
      }
      const r = resolveResource(a.slice(0, slash));
      const name = a.slice(slash + 1);
      const existing = out.find((s) => s.resource === r);
      if (existing) existing.names.push(name);
      else out.push({ resource: r, names: [name] });
    }
    return out;
  }
  const [typeSpec, ...names] = args;
  const types = resolveTypes(typeSpec);
  if (names.length > 0 && types.length > 1) throw new Error('you may only specify a single resource type');
  return types.map((resource) => ({ resource, names: [...names] }));
}

/** `KIND NAME` or `KIND/NAME` → one resource and name (scale, rollout, describe of one object). */
export function oneObject(args: string[]): { kind: string; name: string } {
  if (args.length === 1 && args[0].includes('/')) {
    const [kind, name] = [args[0].slice(0, args[0].indexOf('/')), args[0].slice(args[0].indexOf('/') + 1)];
    return { kind, name };
  }
  if (args.length === 2) return { kind: args[0], name: args[1] };
  throw new Error('you must specify a resource as TYPE NAME or TYPE/NAME');
}
