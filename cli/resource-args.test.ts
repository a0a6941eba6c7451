// kubectl's resource arguments: TYPE [NAME…], TYPE/NAME…, TYPE1,TYPE2, all.
import { parseResourceArgs } from './resource-args';

describe('resource arguments', () => {
  it('understands kubectl resource arguments', () => {
    expect(parseResourceArgs(['po']).map((s) => [s.resource.resource, s.names])).toEqual([['pods', []]]);
    expect(parseResourceArgs(['deploy', 'a', 'b']).map((s) => [s.resource.resource, s.names])).toEqual([['deployments', ['a', 'b']]]);
    expect(parseResourceArgs(['pod/a', 'svc/b', 'pod/c']).map((s) => [s.resource.resource, s.names])).toEqual([
      ['pods', ['a', 'c']],
      ['services', ['b']],
    ]);
    // kubectl's order; types added to the category later (jobs, …) come after these.
    expect(parseResourceArgs(['all']).map((s) => s.resource.resource).slice(0, 5)).toEqual(['pods', 'services', 'daemonsets', 'deployments', 'replicasets']);
    expect(parseResourceArgs(['deployments.apps']).map((s) => s.resource.resource)).toEqual(['deployments']);
    expect(() => parseResourceArgs(['nope'])).toThrow('the server doesn\'t have a resource type "nope"');
    expect(() => parseResourceArgs(['pods,svc', 'x'])).toThrow('single resource type');
  });
});
