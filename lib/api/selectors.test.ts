import {
  SelectorError,
  fieldRequirementsToString,
  labelRequirementsToString,
  labelSelectorToString,
  matchesFields,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
  selectorFromLabelSelector,
  validateLabelValue,
  validateQualifiedName,
} from './selectors';

describe('parseLabelSelector', () => {
  const ok: Array<[string, string]> = [
    ['', ''],
    ['app=nginx', 'app=nginx'],
    ['app==nginx', 'app==nginx'],
    ['app!=nginx', 'app!=nginx'],
    ['  app = nginx , tier!=db ', 'app=nginx,tier!=db'],
    ['tier in (a,b)', 'tier in (a,b)'],
    ['tier in (b, a)', 'tier in (a,b)'],
    ['tier notin (a)', 'tier notin (a)'],
    ['app', 'app'],
    ['!app', '!app'],
    ['example.com/app=x,!canary', 'example.com/app=x,!canary'],
    ['a=', 'a='],
    ['x>3,y<10', 'x>3,y<10'],
    ['env in (prod),app', 'env in (prod),app'],
  ];
  it.each(ok)('parses %j', (input, printed) => {
    expect(labelRequirementsToString(parseLabelSelector(input))).toBe(printed);
  });

  const bad: Array<[string, RegExp]> = [
    ['app in ()', /values set can't be empty/],
    ['app in (a', /expected: ',' or '\)'/],
    ['app in a', /expected: '\('/],
    ['=x', /expected: !, identifier/],
    ['app=a=b', /expected: ',' or 'end of string'/],
    ['app=nginx,', /identifier after ','/],
    ['!', /identifier after '!'/],
    ['-bad=x', /invalid label key "-bad"/],
    ['app=-bad-', /invalid label value: "-bad-"/],
    [`app=${'a'.repeat(64)}`, /must be no more than 63 characters/],
    ['a/b/c=x', /invalid label key/],
    ['x>y', /must be an integer/],
    ['app notin', /expected: '\('/],
  ];
  it.each(bad)('rejects %j', (input, message) => {
    expect(() => parseLabelSelector(input)).toThrow(SelectorError);
    expect(() => parseLabelSelector(input)).toThrow(message);
  });
});

describe('matchesLabels', () => {
  const labels = { app: 'nginx', tier: 'web', n: '5' };
  const cases: Array<[string, Record<string, string> | undefined, boolean]> = [
    ['', labels, true],
    ['', undefined, true],
    ['app=nginx', labels, true],
    ['app==nginx', labels, true],
    ['app=redis', labels, false],
    ['app!=redis', labels, true],
    ['missing!=x', labels, true],
    ['app!=nginx', labels, false],
    ['tier in (web,db)', labels, true],
    ['tier in (db)', labels, false],
    ['missing in (db)', labels, false],
    ['tier notin (db)', labels, true],
    ['missing notin (db)', labels, true],
    ['tier notin (web)', labels, false],
    ['app', labels, true],
    ['missing', labels, false],
    ['!missing', labels, true],
    ['!app', labels, false],
    ['n>4', labels, true],
    ['n<4', labels, false],
    ['app>4', labels, false],
    ['app=nginx,tier=db', labels, false],
    ['app=nginx', undefined, false],
    ['a=', { a: '' }, true],
  ];
  it.each(cases)('%j against %j → %s', (sel, lbls, want) => {
    expect(matchesLabels(parseLabelSelector(sel), lbls)).toBe(want);
  });
});

describe('selectorFromLabelSelector', () => {
  it('matches everything for an empty selector', () => {
    expect(matchesLabels(selectorFromLabelSelector({}), {})).toBe(true);
    expect(matchesLabels(selectorFromLabelSelector({}), { a: 'b' })).toBe(true);
  });
  it.each([null, undefined])('matches nothing for %p', (sel) => {
    const reqs = selectorFromLabelSelector(sel);
    expect(matchesLabels(reqs, {})).toBe(false);
    expect(matchesLabels(reqs, { a: 'b' })).toBe(false);
    expect(labelRequirementsToString(reqs)).toBe('');
  });
  it('combines matchLabels and matchExpressions', () => {
    const reqs = selectorFromLabelSelector({
      matchLabels: { app: 'nginx' },
      matchExpressions: [
        { key: 'tier', operator: 'In', values: ['b', 'a'] },
        { key: 'env', operator: 'NotIn', values: ['dev'] },
        { key: 'track', operator: 'Exists' },
        { key: 'canary', operator: 'DoesNotExist' },
      ],
    });
    expect(matchesLabels(reqs, { app: 'nginx', tier: 'a', track: 'x' })).toBe(true);
    expect(matchesLabels(reqs, { app: 'nginx', tier: 'a', track: 'x', canary: '1' })).toBe(false);
    expect(matchesLabels(reqs, { app: 'nginx', tier: 'c', track: 'x' })).toBe(false);
    expect(matchesLabels(reqs, { app: 'nginx', tier: 'a', env: 'dev', track: 'x' })).toBe(false);
  });
  const bad: Array<[unknown, RegExp]> = [
    [{ matchExpressions: [{ key: 'a', operator: 'Foo', values: [] }] }, /"Foo" is not a valid label selector operator/],
    [{ matchExpressions: [{ key: 'a', operator: 'In', values: [] }] }, /values set can't be empty/],
    [{ matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] }, /must be empty/],
    [{ matchLabels: { 'bad key': 'x' } }, /invalid label key/],
  ];
  it.each(bad)('rejects %j', (sel, message) => {
    expect(() => selectorFromLabelSelector(sel as never)).toThrow(message);
  });
});

describe('labelSelectorToString', () => {
  const cases: Array<[unknown, string]> = [
    [{ matchLabels: { app: 'nginx' } }, 'app=nginx'],
    [{ matchLabels: { tier: 'x', app: 'nginx' } }, 'app=nginx,tier=x'],
    [
      { matchLabels: { app: 'nginx' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['b', 'a'] }] },
      'app=nginx,tier in (a,b)',
    ],
    [{ matchExpressions: [{ key: 'x', operator: 'DoesNotExist' }, { key: 'a', operator: 'Exists' }] }, 'a,!x'],
    [{}, ''],
    [null, ''],
    [undefined, ''],
  ];
  it.each(cases)('%j → %j', (sel, want) => {
    expect(labelSelectorToString(sel as never)).toBe(want);
    // What it prints parses back to the same selector.
    expect(labelRequirementsToString(parseLabelSelector(want))).toBe(want);
  });
});

describe('labelSelectorToString on content that does not validate', () => {
  it('prints instead of throwing', () => {
    expect(labelSelectorToString({ matchLabels: { 'bad key': 'x' } })).toBe('bad key=x');
    expect(labelSelectorToString({ matchExpressions: [{ key: 'a', operator: 'Near', values: ['b'] }] })).toBe('a in (<invalid operator Near>)');
  });
});

describe('key and value syntax', () => {
  it.each([
    ['app', true],
    ['app.kubernetes.io/name', true],
    ['Example.com/x', false],
    ['/x', false],
    ['x/', false],
    ['a_b.c-d', true],
    ['_a', false],
    ['a'.repeat(63), true],
    ['a'.repeat(64), false],
  ])('key %j valid=%s', (key, valid) => {
    expect(validateQualifiedName(key).length === 0).toBe(valid);
  });
  it.each([
    ['', true],
    ['v1.2_3-x', true],
    ['-x', false],
    ['a b', false],
    ['a'.repeat(64), false],
  ])('value %j valid=%s', (value, valid) => {
    expect(validateLabelValue(value).length === 0).toBe(valid);
  });
});

describe('parseFieldSelector', () => {
  const ok: Array<[string, string, string]> = [
    ['pods', '', ''],
    ['pods', 'spec.nodeName=n1', 'spec.nodeName=n1'],
    ['pods', 'spec.nodeName==n1', 'spec.nodeName=n1'],
    ['pods', 'spec.nodeName=', 'spec.nodeName='],
    ['pods', 'status.phase!=Failed,metadata.name=web', 'status.phase!=Failed,metadata.name=web'],
    ['pods', 'spec.restartPolicy=Always,spec.schedulerName=s,spec.serviceAccountName=sa,status.podIP=1.2.3.4',
      'spec.restartPolicy=Always,spec.schedulerName=s,spec.serviceAccountName=sa,status.podIP=1.2.3.4'],
    ['events', 'involvedObject.kind=Pod,involvedObject.name=web,involvedObject.namespace=default',
      'involvedObject.kind=Pod,involvedObject.name=web,involvedObject.namespace=default'],
    ['events', 'involvedObject.uid=u,involvedObject.apiVersion=v1,involvedObject.resourceVersion=3,involvedObject.fieldPath=f',
      'involvedObject.uid=u,involvedObject.apiVersion=v1,involvedObject.resourceVersion=3,involvedObject.fieldPath=f'],
    ['events', 'reason=Started,source=kubelet,type=Normal', 'reason=Started,source=kubelet,type=Normal'],
    ['nodes', 'spec.unschedulable=false', 'spec.unschedulable=false'],
    ['secrets', 'type=Opaque', 'type=Opaque'],
    ['namespaces', 'status.phase=Active', 'status.phase=Active'],
    ['replicasets', 'status.replicas!=0', 'status.replicas!=0'],
    ['configmaps', 'metadata.namespace=kube-system', 'metadata.namespace=kube-system'],
    ['pods', 'metadata.name=a\\,b', 'metadata.name=a\\,b'],
    ['pods', 'metadata.name=a,,spec.nodeName=n', 'metadata.name=a,spec.nodeName=n'],
    ['pods', 'metadata.name=a\\=b', 'metadata.name=a\\=b'],
  ];
  it.each(ok)('%s: %j', (resource, input, printed) => {
    expect(fieldRequirementsToString(parseFieldSelector(resource, input))).toBe(printed);
  });
  const bad: Array<[string, string, string]> = [
    ['pods', 'spec.foo=bar', 'field label not supported: spec.foo'],
    ['configmaps', 'spec.nodeName=x', 'field label not supported: spec.nodeName'],
    ['nodes', 'status.phase=x', 'field label not supported: status.phase'],
    ['pods', 'spec.nodeName', "invalid selector: 'spec.nodeName'; can't understand 'spec.nodeName'"],
    ['pods', '=x', "can't understand '=x'"],
    ['pods', 'metadata.name=a\\x', 'invalid escape sequence'],
    ['pods', 'metadata.name=a!=b', 'unescaped equals'],
  ];
  it.each(bad)('%s: rejects %j', (resource, input, message) => {
    expect(() => parseFieldSelector(resource, input)).toThrow(SelectorError);
    expect(() => parseFieldSelector(resource, input)).toThrow(message);
  });
});

describe('matchesFields', () => {
  const pod = {
    metadata: { name: 'web', namespace: 'default' },
    spec: { nodeName: 'n1', restartPolicy: 'Always' },
    status: { phase: 'Running', podIP: '10.0.0.5' },
  };
  const cases: Array<[string, string, unknown, boolean]> = [
    ['pods', '', pod, true],
    ['pods', 'spec.nodeName=n1', pod, true],
    ['pods', 'spec.nodeName=n2', pod, false],
    ['pods', 'spec.nodeName!=n2', pod, true],
    ['pods', 'spec.nodeName=', { metadata: { name: 'x' } }, true],
    ['pods', 'spec.nodeName!=', { metadata: { name: 'x' } }, false],
    ['pods', 'status.phase=Running,metadata.name=web', pod, true],
    ['pods', 'status.phase=Running,metadata.name=db', pod, false],
    ['pods', 'metadata.namespace=default', pod, true],
    ['nodes', 'spec.unschedulable=false', { metadata: { name: 'n' }, spec: {} }, true],
    ['nodes', 'spec.unschedulable=true', { metadata: { name: 'n' }, spec: { unschedulable: true } }, true],
    ['nodes', 'spec.unschedulable!=true', { metadata: { name: 'n' }, spec: { unschedulable: true } }, false],
    ['replicasets', 'status.replicas=0', { metadata: { name: 'r' } }, true],
    ['replicasets', 'status.replicas=3', { metadata: { name: 'r' }, status: { replicas: 3 } }, true],
    ['events', 'source=kubelet', { source: { component: 'kubelet' } }, true],
    ['events', 'involvedObject.name=web,type=Warning', { involvedObject: { name: 'web' }, type: 'Normal' }, false],
    ['secrets', 'type=Opaque', { type: 'Opaque' }, true],
  ];
  it.each(cases)('%s %j → %s', (resource, sel, obj, want) => {
    expect(matchesFields(parseFieldSelector(resource, sel), obj)).toBe(want);
  });
});
