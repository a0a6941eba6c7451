// admissionregistration.k8s.io/v1 ValidatingAdmissionPolicies and their bindings against kube-apiserver's
// messages (pkg/apis/admissionregistration/validation: ValidateValidatingAdmissionPolicy,
// ValidateValidatingAdmissionPolicyBinding, ValidateValidatingAdmissionPolicyStatusUpdate), kube's v1
// defaults (zz_generated.defaults.go) and kubectl's columns (pkg/printers/internalversion).
import { Resources } from '../../lib/api/resources';
import { applyDefaults } from '../defaults';
import { tableColumns, toTable } from '../tables';
import { goLabelSelectorString } from '../tables/admissionregistration';
import { validate } from '.';
import { validateValidatingAdmissionPolicy } from './admissionregistration-policy';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- fixtures are edited freely

const VAP = Resources.validatingadmissionpolicies;
const VAPB = Resources.validatingadmissionpolicybindings;
const alloc = { clusterIP: () => '10.96.0.10', nodePort: () => 30001 };

const rule = (r: Obj = {}): Obj => ({ operations: ['CREATE'], apiGroups: ['apps'], apiVersions: ['v1'], resources: ['deployments'], ...r });
const policy = (): Obj => ({
  apiVersion: 'admissionregistration.k8s.io/v1',
  kind: 'ValidatingAdmissionPolicy',
  metadata: { name: 'policy.example.com' },
  spec: {
    failurePolicy: 'Fail',
    matchConstraints: { matchPolicy: 'Equivalent', namespaceSelector: {}, objectSelector: {}, resourceRules: [rule()] },
    validations: [{ expression: 'object.spec.replicas <= 5' }],
  },
});
const binding = (): Obj => ({
  apiVersion: 'admissionregistration.k8s.io/v1',
  kind: 'ValidatingAdmissionPolicyBinding',
  metadata: { name: 'binding.example.com' },
  spec: { policyName: 'policy.example.com', validationActions: ['Deny'] },
});

/** The causes of a fixture that `edit` changed (its spec as the first argument), as `field: message`. */
const messagesOf = (rt: typeof VAP, fixture: () => Obj, edit: (spec: Obj, o: Obj) => void, subresource?: string): string[] => {
  const obj = fixture();
  edit(obj.spec, obj);
  return validate(rt, obj, subresource ? fixture() : undefined, subresource).map((c) => `${c.field}: ${c.message}`);
};
const matching = (re: RegExp): string => expect.stringMatching(re) as unknown as string;

const subdomain = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const dns1035 = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
const namePart = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const denyAndWarn = 'must not contain both Deny and Warn (repeating the same validation failure information in the API response and headers serves no purpose)';

type Case = [description: string, edit: (spec: Obj, o: Obj) => void, want: string[]];

const policyCases: Case[] = [
  ['a valid policy', () => {}, []],

  // failurePolicy (v1 defaults it; kube still requires it)
  ['no failurePolicy', (s) => delete s.failurePolicy, ['spec.failurePolicy: Required value']],
  ['an unknown failurePolicy', (s) => (s.failurePolicy = 'Retry'), ['spec.failurePolicy: Unsupported value: "Retry": supported values: "Fail", "Ignore"']],

  // validations and auditAnnotations
  ['neither validations nor auditAnnotations', (s) => (s.validations = []), ['spec.validations: Required value: validations or auditAnnotations must contain at least one item', 'spec.auditAnnotations: Required value: validations or auditAnnotations must contain at least one item']],
  ['only auditAnnotations', (s) => ((s.validations = undefined), (s.auditAnnotations = [{ key: 'replicas', valueExpression: 'string(object.spec.replicas)' }])), []],
  ['a blank validation expression', (s) => (s.validations[0].expression = '  '), ['spec.validations[0].expression: Required value: expression is not specified']],
  ['a validation expression that does not parse', (s) => (s.validations[0].expression = 'object.spec.replicas <='), [matching(/^spec\.validations\[0\]\.expression: Invalid value: "object\.spec\.replicas <=": compilation failed: ERROR: <input>:1:24: Syntax error: /)]],
  ['an error on the second line', (s) => (s.validations[0].expression = 'true &&\n  +'), ['spec.validations[0].expression: Invalid value: "true &&\\n  +": compilation failed: ERROR: <input>:2:3: Syntax error: Unexpected token: PLUS']],
  ['a blank messageExpression', (s) => (s.validations[0].messageExpression = '  '), ['spec.validations[0].messageExpression: Invalid value: "  ": must be non-empty if specified']],
  ['a messageExpression that does not parse: untrimmed, as kube compiles it', (s) => (s.validations[0].messageExpression = '  +'), ['spec.validations[0].messageExpression: Invalid value: "  +": compilation failed: ERROR: <input>:1:3: Syntax error: Unexpected token: PLUS']],
  ['a messageExpression', (s) => (s.validations[0].messageExpression = "'too many: ' + string(object.spec.replicas)"), []],
  ['a blank message', (s) => (s.validations[0].message = ' '), ['spec.validations[0].message: Invalid value: " ": message must be non-empty if specified']],
  ['a message with a line break', (s) => (s.validations[0].message = 'too\nmany'), ['spec.validations[0].message: Invalid value: "too\\nmany": message must not contain line breaks']],
  ['a message with a carriage return', (s) => (s.validations[0].message = 'too\rmany'), ['spec.validations[0].message: Invalid value: "too\\rmany": message must not contain line breaks']],
  ['a message ending in a line break (trimmed)', (s) => (s.validations[0].message = 'too many\n'), []],
  ['reason Unauthorized (the API docs list it; validation refuses it)', (s) => (s.validations[0].reason = 'Unauthorized'), ['spec.validations[0].reason: Unsupported value: "Unauthorized": supported values: "Forbidden", "Invalid", "RequestEntityTooLarge"']],
  ['reason NotFound', (s) => (s.validations[0].reason = 'NotFound'), ['spec.validations[0].reason: Unsupported value: "NotFound": supported values: "Forbidden", "Invalid", "RequestEntityTooLarge"']],
  ['each supported reason', (s) => (s.validations = ['Forbidden', 'Invalid', 'RequestEntityTooLarge'].map((reason) => ({ expression: 'true', reason }))), []],
  ['an audit key that makes no qualified name', (s) => (s.auditAnnotations = [{ key: 'high replicas', valueExpression: "'x'" }]), [`spec.auditAnnotations[0].key: Invalid value: "policy.example.com/high replicas": ${namePart}`]],
  ['an empty audit key', (s) => (s.auditAnnotations = [{ key: '', valueExpression: "'x'" }]), ['spec.auditAnnotations[0].key: Invalid value: "policy.example.com/": name part must be non-empty']],
  ['two audit annotations of one key', (s) => (s.auditAnnotations = [{ key: 'a', valueExpression: "'x'" }, { key: 'b', valueExpression: "'y'" }, { key: 'a', valueExpression: "'z'" }]), ['spec.auditAnnotations[2].key: Duplicate value: "a"']],
  ['a blank valueExpression', (s) => (s.auditAnnotations = [{ key: 'a', valueExpression: ' ' }]), ['spec.auditAnnotations[0].valueExpression: Required value: valueExpression is not specified']],
  ['a valueExpression over 5 KiB', (s) => (s.auditAnnotations = [{ key: 'a', valueExpression: `'${'x'.repeat(5119)}'` }]), ['spec.auditAnnotations[0].valueExpression: Required value: must not exceed 5120 bytes in length']],
  ['a valueExpression of 5 KiB', (s) => (s.auditAnnotations = [{ key: 'a', valueExpression: `'${'x'.repeat(5118)}'` }]), []],
  ['a valueExpression that does not parse: compiled trimmed, reported as given', (s) => (s.auditAnnotations = [{ key: 'a', valueExpression: '  +' }]), ['spec.auditAnnotations[0].valueExpression: Invalid value: "  +": compilation failed: ERROR: <input>:1:1: Syntax error: Unexpected token: PLUS']],
  ['20 audit annotations', (s) => (s.auditAnnotations = Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, valueExpression: "'v'" }))), []],
  [
    '21 audit annotations',
    (s) => (s.auditAnnotations = Array.from({ length: 21 }, (_, i) => ({ key: `k${i}`, valueExpression: "'v'" }))),
    [matching(/^spec\.auditAnnotations: Invalid value: \[\]admissionregistration\.AuditAnnotation\{admissionregistration\.AuditAnnotation\{Key:"k0", ValueExpression:"'v'"\}, .*admissionregistration\.AuditAnnotation\{Key:"k20", ValueExpression:"'v'"\}\}: must not have more than 20 auditAnnotations$/)],
  ],

  // variables (kube checks no duplicate names)
  ['a variable without a name', (s) => (s.variables = [{ name: ' ', expression: 'object.spec.replicas' }]), ['spec.variables[0].name: Required value: name is not specified']],
  ['a variable name that is no CEL identifier', (s) => (s.variables = [{ name: 'max-replicas', expression: '5' }]), ['spec.variables[0].name: Invalid value: "max-replicas": name is not a valid CEL identifier']],
  ['a reserved variable name', (s) => (s.variables = [{ name: 'namespace', expression: '5' }]), ['spec.variables[0].name: Invalid value: "namespace": name is not a valid CEL identifier']],
  ['a variable without an expression', (s) => (s.variables = [{ name: 'max', expression: '' }]), ['spec.variables[0].expression: Required value: expression is not specified']],
  ['a variable expression that does not parse', (s) => (s.variables = [{ name: 'max', expression: '+' }]), ['spec.variables[0].expression: Invalid value: "+": compilation failed: ERROR: <input>:1:1: Syntax error: Unexpected token: PLUS']],
  ['two variables of one name', (s) => (s.variables = [{ name: '_max', expression: '5' }, { name: '_max', expression: '6' }]), []],

  // paramKind
  ['a paramKind without apiVersion and kind', (s) => (s.paramKind = {}), ['spec.paramKind.apiVersion: Required value', 'spec.paramKind.kind: Required value']],
  ['a core paramKind', (s) => (s.paramKind = { apiVersion: 'v1', kind: 'ConfigMap' }), []],
  ['a paramKind of a group', (s) => (s.paramKind = { apiVersion: 'rules.example.com/v1beta1', kind: 'ReplicaLimit' }), []],
  ['a paramKind apiVersion of three parts', (s) => (s.paramKind = { apiVersion: 'a/b/c', kind: 'Limit' }), ['spec.paramKind.apiVersion: Invalid value: "a/b/c": unexpected GroupVersion string: a/b/c']],
  ['a paramKind group that is no subdomain', (s) => (s.paramKind = { apiVersion: 'Example.com/v1', kind: 'Limit' }), [`spec.paramKind.apiVersion: Invalid value: "Example.com": ${subdomain}`]],
  ['a paramKind without a version', (s) => (s.paramKind = { apiVersion: 'example.com/', kind: 'Limit' }), ['spec.paramKind.apiVersion: Invalid value: "example.com/": version must be specified']],
  ['a paramKind apiVersion of "/"', (s) => (s.paramKind = { apiVersion: '/', kind: 'Limit' }), ['spec.paramKind.apiVersion: Invalid value: "/": version must be specified']],
  ['a paramKind version that is no DNS-1035 label', (s) => (s.paramKind = { apiVersion: 'example.com/1', kind: 'Limit' }), [`spec.paramKind.apiVersion: Invalid value: "1": ${dns1035}`]],
  ['a paramKind kind that is no DNS-1035 label', (s) => (s.paramKind = { apiVersion: 'v1', kind: 'Config_Map' }), [`spec.paramKind.kind: Invalid value: "Config_Map": may have mixed case, but should otherwise match: ${dns1035}`]],

  // matchConstraints
  ['no matchConstraints', (s) => delete s.matchConstraints, ['spec.matchConstraints: Required value']],
  ['matchConstraints without resourceRules', (s) => delete s.matchConstraints.resourceRules, ['spec.matchConstraints.resourceRules: Required value']],
  ['matchConstraints not yet defaulted', (s) => (s.matchConstraints = { resourceRules: [rule()] }), ['spec.matchConstraints.matchPolicy: Required value', 'spec.matchConstraints.namespaceSelector: Required value', 'spec.matchConstraints.objectSelector: Required value']],
  ['an unknown matchPolicy', (s) => (s.matchConstraints.matchPolicy = 'Loose'), ['spec.matchConstraints.matchPolicy: Unsupported value: "Loose": supported values: "Equivalent", "Exact"']],
  ['a namespaceSelector operator', (s) => (s.matchConstraints.namespaceSelector = { matchExpressions: [{ key: 'env', operator: 'Maybe' }] }), ['spec.matchConstraints.namespaceSelector.matchExpressions[0].operator: Invalid value: "Maybe": not a valid selector operator']],
  ['an objectSelector In without values', (s) => (s.matchConstraints.objectSelector = { matchExpressions: [{ key: 'app', operator: 'In' }] }), ["spec.matchConstraints.objectSelector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'"]],
  ['a rule without operations', (s) => (s.matchConstraints.resourceRules = [rule({ operations: [] })]), ['spec.matchConstraints.resourceRules[0].operations: Required value']],
  ['an unknown operation', (s) => (s.matchConstraints.resourceRules = [rule({ operations: ['PATCH'] })]), ['spec.matchConstraints.resourceRules[0].operations[0]: Unsupported value: "PATCH": supported values: "*", "CONNECT", "CREATE", "DELETE", "UPDATE"']],
  ['* with other resources', (s) => (s.matchConstraints.resourceRules = [rule({ resources: ['*', 'pods'] })]), ['spec.matchConstraints.resourceRules[0].resources: Invalid value: []string{"*", "pods"}: if \'*\' is present, must not specify other resources without subresources']],
  ['a rule without resources', (s) => (s.matchConstraints.resourceRules = [rule({ resources: [] })]), ['spec.matchConstraints.resourceRules[0].resources: Required value']],
  ['an unknown scope', (s) => (s.matchConstraints.resourceRules = [rule({ scope: 'Global' })]), ['spec.matchConstraints.resourceRules[0].scope: Unsupported value: "Global": supported values: "*", "Cluster", "Namespaced"']],
  ['resourceNames', (s) => (s.matchConstraints.resourceRules = [rule({ resourceNames: ['web', 'system:node', ''] })]), []],
  [
    'resourceNames that are no path segments, and repeated',
    (s) => (s.matchConstraints.resourceRules = [rule({ resourceNames: ['a/b', '..', 'a/b', '50%'] })]),
    [
      "spec.matchConstraints.resourceRules[0].resourceNames[0]: Invalid value: \"a/b\": may not contain '/'",
      "spec.matchConstraints.resourceRules[0].resourceNames[1]: Invalid value: \"..\": may not be '..'",
      "spec.matchConstraints.resourceRules[0].resourceNames[2]: Invalid value: \"a/b\": may not contain '/'",
      'spec.matchConstraints.resourceRules[0].resourceNames[2]: Duplicate value: "a/b"',
      "spec.matchConstraints.resourceRules[0].resourceNames[3]: Invalid value: \"50%\": may not contain '%'",
    ],
  ],
  ['an excluded rule with an unknown scope', (s) => (s.matchConstraints.excludeResourceRules = [rule({ scope: 'Global' })]), ['spec.matchConstraints.excludeResourceRules[0].scope: Unsupported value: "Global": supported values: "*", "Cluster", "Namespaced"']],
  ['an excluded rule without API groups', (s) => (s.matchConstraints.excludeResourceRules = [rule({ apiGroups: [] })]), ['spec.matchConstraints.excludeResourceRules[0].apiGroups: Required value']],

  // matchConditions, as the webhooks'
  ['two conditions of one name', (s) => (s.matchConditions = [{ name: 'a', expression: 'true' }, { name: 'a', expression: 'false' }]), ['spec.matchConditions[1].name: Duplicate value: "a"']],
  ['a condition without an expression', (s) => (s.matchConditions = [{ name: 'a', expression: ' ' }]), ['spec.matchConditions[0].expression: Required value']],
  ['a condition that uses params', (s) => ((s.paramKind = { apiVersion: 'v1', kind: 'ConfigMap' }), (s.matchConditions = [{ name: 'a', expression: 'params.data.enabled == "true"' }])), []],

  // kube's order: failurePolicy, paramKind, matchConstraints, matchConditions, variables, validations, auditAnnotations
  [
    'problems everywhere, in kube order',
    (s) => {
      s.failurePolicy = 'Never';
      s.paramKind = { apiVersion: 'v1' };
      s.matchConstraints.matchPolicy = 'Loose';
      s.matchConditions = [{ name: '', expression: 'true' }];
      s.variables = [{ name: '1', expression: 'true' }];
      s.validations = [{ expression: '' }];
      s.auditAnnotations = [{ key: 'a', valueExpression: '' }];
    },
    [
      'spec.failurePolicy: Unsupported value: "Never": supported values: "Fail", "Ignore"',
      'spec.paramKind.kind: Required value',
      'spec.matchConstraints.matchPolicy: Unsupported value: "Loose": supported values: "Equivalent", "Exact"',
      'spec.matchConditions[0].name: Required value',
      'spec.variables[0].name: Invalid value: "1": name is not a valid CEL identifier',
      'spec.validations[0].expression: Required value: expression is not specified',
      'spec.auditAnnotations[0].valueExpression: Required value: valueExpression is not specified',
    ],
  ],
];

describe('ValidatingAdmissionPolicy validation', () => {
  it.each(policyCases)('%s', (_d, edit, want) => expect(messagesOf(VAP, policy, edit)).toEqual(want));

  it('needs a policy name to qualify audit keys', () => {
    const p = policy();
    delete p.metadata.name;
    p.spec.auditAnnotations = [{ key: 'a', valueExpression: "'x'" }];
    expect(validateValidatingAdmissionPolicy(p, undefined).map((c) => `${c.field}: ${c.message}`)).toEqual(['spec.auditAnnotations[0].key: Invalid value: "a": requires metadata.name be non-empty']);
  });

  it('holds an update to the create rules and ignores the status it is sent', () => {
    const old = policy();
    const next = policy();
    next.spec.validations[0].reason = 'Unauthorized';
    next.status = { conditions: [{ type: 'bad type!' }] };
    expect(validate(VAP, next, old).map((c) => c.field)).toEqual(['spec.validations[0].reason']);
  });
});

describe('ValidatingAdmissionPolicy status (ValidateValidatingAdmissionPolicyStatusUpdate)', () => {
  const status = (st: Obj) => (_s: Obj, o: Obj) => (o.status = st);
  const condition = { type: 'Ready', status: 'True', reason: 'TypeChecked', lastTransitionTime: '2026-11-23T12:00:00Z', observedGeneration: 1 };
  it.each<[string, (s: Obj, o: Obj) => void, string[]]>([
    ['a status of warnings and conditions', status({ observedGeneration: 1, typeChecking: { expressionWarnings: [{ fieldRef: 'spec.validations[0].expression', warning: 'no such field' }] }, conditions: [condition] }), []],
    ['no status', () => {}, []],
    ['a status update checks only the status', (s, o) => ((s.failurePolicy = 'Never'), (o.status = {})), []],
    ['a warning without fieldRef and text', status({ typeChecking: { expressionWarnings: [{ fieldRef: ' ', warning: '' }] } }), ['status.typeChecking.expressionWarnings[0].warning: Required value', 'status.typeChecking.expressionWarnings[0].fieldRef: Required value']],
    ['a fieldRef that is no JSONPath', status({ typeChecking: { expressionWarnings: [{ fieldRef: 'spec.validations[', warning: 'w' }] } }), ['status.typeChecking.expressionWarnings[0].fieldRef: Invalid value: "spec.validations[": invalid JSONPath: unterminated array']],
    ['a fieldRef with a leading dot', status({ typeChecking: { expressionWarnings: [{ fieldRef: '.spec.validations[1].messageExpression', warning: 'w' }] } }), []],
    [
      'a condition without status, reason and time',
      status({ conditions: [{ type: 'Ready', status: 'Maybe', observedGeneration: -1 }] }),
      [
        'status.conditions[0].status: Unsupported value: "Maybe": supported values: "False", "True", "Unknown"',
        'status.conditions[0].observedGeneration: Invalid value: -1: must be greater than or equal to zero',
        'status.conditions[0].lastTransitionTime: Required value: must be set',
        'status.conditions[0].reason: Required value: must be set',
      ],
    ],
    [
      'a condition type and reason of the wrong form, twice',
      status({ conditions: [condition, { ...condition, type: 'Ready', reason: 'Type checked' }] }),
      [
        'status.conditions[1].type: Duplicate value: "Ready"',
        "status.conditions[1].reason: Invalid value: \"Type checked\": a condition reason must start with alphabetic character, optionally followed by a string of alphanumeric characters or '_,:', and must end with an alphanumeric character or '_' (e.g. 'my_name',  or 'MY_NAME',  or 'MyName',  or 'ReasonA,ReasonB',  or 'ReasonA:ReasonB', regex used for validation is '[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?')",
      ],
    ],
    ['a condition type that is no qualified name', status({ conditions: [{ ...condition, type: 'not ready' }] }), [matching(/^status\.conditions\[0\]\.type: Invalid value: "not ready": name part must consist of/)]],
  ])('%s', (_d, edit, want) => expect(messagesOf(VAP, policy, edit, 'status')).toEqual(want));
});

const bindingCases: Case[] = [
  ['a valid binding', () => {}, []],
  ['no policyName', (s) => delete s.policyName, ['spec.policyName: Required value']],
  ['a policyName that is no subdomain', (s) => (s.policyName = 'Policy'), [`spec.policyName: Invalid value: "Policy": ${subdomain}`]],

  // validationActions
  ['no validationActions', (s) => delete s.validationActions, ['spec.validationActions: Required value: at least one validation action is required']],
  ['an unknown action', (s) => (s.validationActions = ['Block']), ['spec.validationActions[0]: Unsupported value: "Block": supported values: "Audit", "Deny", "Warn"']],
  ['a repeated action', (s) => (s.validationActions = ['Audit', 'Warn', 'Audit']), ['spec.validationActions[2]: Duplicate value: "Audit"']],
  ['Deny and Warn', (s) => (s.validationActions = ['Deny', 'Audit', 'Warn']), [`spec.validationActions: Invalid value: []admissionregistration.ValidationAction{"Deny", "Audit", "Warn"}: ${denyAndWarn}`]],
  ['Warn and Audit', (s) => (s.validationActions = ['Warn', 'Audit']), []],

  // paramRef
  ['a paramRef by name', (s) => (s.paramRef = { name: 'limits', namespace: 'default', parameterNotFoundAction: 'Allow' }), []],
  ['a paramRef by selector', (s) => (s.paramRef = { selector: { matchLabels: { app: 'limits' } }, parameterNotFoundAction: 'Deny' }), []],
  ['an empty paramRef', (s) => (s.paramRef = {}), ['spec.paramRef: Required value: one of name or selector must be specified', 'spec.paramRef.parameterNotFoundAction: Required value']],
  ['a paramRef without parameterNotFoundAction (v1 does not default it)', (s) => (s.paramRef = { name: 'limits' }), ['spec.paramRef.parameterNotFoundAction: Required value']],
  ['both name and selector', (s) => (s.paramRef = { name: 'limits', selector: {}, parameterNotFoundAction: 'Deny' }), ['spec.paramRef.name: Forbidden: name and selector are mutually exclusive', 'spec.paramRef.selector: Forbidden: name and selector are mutually exclusive']],
  ['a name that is no path segment', (s) => (s.paramRef = { name: 'a/b', parameterNotFoundAction: 'Deny' }), ["spec.paramRef.name: Invalid value: \"a/b\": may not contain '/'"]],
  ['a selector operator', (s) => (s.paramRef = { selector: { matchExpressions: [{ key: 'a', operator: 'Maybe' }] }, parameterNotFoundAction: 'Deny' }), ['spec.paramRef.selector.matchExpressions[0].operator: Invalid value: "Maybe": not a valid selector operator']],
  ['an unknown parameterNotFoundAction', (s) => (s.paramRef = { name: 'limits', parameterNotFoundAction: 'Ignore' }), ['spec.paramRef.parameterNotFoundAction: Unsupported value: "Ignore": supported values: "Deny", "Allow"']],
  ['a namespace kube does not check', (s) => (s.paramRef = { name: 'limits', namespace: 'Not A Label', parameterNotFoundAction: 'Deny' }), []],

  // matchResources: optional, no resourceRules needed
  ['matchResources not yet defaulted', (s) => (s.matchResources = {}), ['spec.matchResources.matchPolicy: Required value', 'spec.matchResources.namespaceSelector: Required value', 'spec.matchResources.objectSelector: Required value']],
  ['matchResources without rules', (s) => (s.matchResources = { matchPolicy: 'Exact', namespaceSelector: { matchLabels: { env: 'test' } }, objectSelector: {} }), []],
  ['a matchResources rule and exclusion', (s) => (s.matchResources = { matchPolicy: 'Equivalent', namespaceSelector: {}, objectSelector: {}, resourceRules: [rule({ resourceNames: ['a/b'] })], excludeResourceRules: [rule({ apiVersions: [''] })] }), ["spec.matchResources.resourceRules[0].resourceNames[0]: Invalid value: \"a/b\": may not contain '/'", 'spec.matchResources.excludeResourceRules[0].apiVersions[0]: Required value']],

  [
    "kube's order: policyName, paramRef, matchResources, validationActions",
    (s) => {
      s.validationActions = [];
      s.matchResources = { matchPolicy: 'Loose', namespaceSelector: {}, objectSelector: {} };
      s.paramRef = { name: 'x', parameterNotFoundAction: 'Maybe' };
      s.policyName = '';
    },
    [
      'spec.policyName: Required value',
      'spec.paramRef.parameterNotFoundAction: Unsupported value: "Maybe": supported values: "Deny", "Allow"',
      'spec.matchResources.matchPolicy: Unsupported value: "Loose": supported values: "Equivalent", "Exact"',
      'spec.validationActions: Required value: at least one validation action is required',
    ],
  ],
];

describe('ValidatingAdmissionPolicyBinding validation', () => {
  it.each(bindingCases)('%s', (_d, edit, want) => expect(messagesOf(VAPB, binding, edit)).toEqual(want));

  it('holds an update to the create rules', () => {
    const next = binding();
    next.spec.validationActions = ['Deny', 'Warn'];
    expect(validate(VAPB, next, binding()).map((c) => c.field)).toEqual(['spec.validationActions']);
  });
});

describe('defaults (SetObjectDefaults_ValidatingAdmissionPolicy, SetObjectDefaults_ValidatingAdmissionPolicyBinding)', () => {
  const matchDefaults = { matchPolicy: 'Equivalent', namespaceSelector: {}, objectSelector: {} };

  it('fills a policy: failurePolicy, matchConstraints and the scope of every rule', () => {
    const obj: Obj = { metadata: { name: 'p' }, spec: { matchConstraints: { resourceRules: [rule()], excludeResourceRules: [rule({ scope: 'Cluster' })] }, validations: [{ expression: 'true' }] } };
    applyDefaults(VAP, obj, alloc);
    expect(obj.spec).toEqual({
      failurePolicy: 'Fail',
      matchConstraints: { ...matchDefaults, resourceRules: [{ ...rule(), scope: '*' }], excludeResourceRules: [{ ...rule(), scope: 'Cluster' }] },
      validations: [{ expression: 'true' }],
    });
    expect(validate(VAP, obj)).toEqual([]);
  });

  it('gives a policy without a spec its failurePolicy, as Go defaults the spec struct', () => {
    const obj: Obj = { metadata: { name: 'p' } };
    applyDefaults(VAP, obj, alloc);
    expect(obj.spec).toEqual({ failurePolicy: 'Fail' });
  });

  it('keeps what is set', () => {
    const obj = policy();
    Object.assign(obj.spec, { failurePolicy: 'Ignore' });
    Object.assign(obj.spec.matchConstraints, { matchPolicy: 'Exact', namespaceSelector: { matchLabels: { a: 'b' } } });
    obj.spec.matchConstraints.resourceRules[0].scope = 'Namespaced';
    applyDefaults(VAP, obj, alloc);
    expect(obj.spec.failurePolicy).toBe('Ignore');
    expect(obj.spec.matchConstraints).toMatchObject({ matchPolicy: 'Exact', namespaceSelector: { matchLabels: { a: 'b' } }, objectSelector: {} });
    expect(obj.spec.matchConstraints.resourceRules[0].scope).toBe('Namespaced');
  });

  it("fills a binding's matchResources, and nothing of its paramRef", () => {
    const obj: Obj = { ...binding(), spec: { ...binding().spec, paramRef: { name: 'limits' }, matchResources: { excludeResourceRules: [rule()] } } };
    applyDefaults(VAPB, obj, alloc);
    expect(obj.spec.matchResources).toEqual({ ...matchDefaults, excludeResourceRules: [{ ...rule(), scope: '*' }] });
    expect(obj.spec.paramRef).toEqual({ name: 'limits' });
    // A binding without matchResources gets none.
    const bare = binding();
    applyDefaults(VAPB, bare, alloc);
    expect(bare).toEqual(binding());
  });

  it('leaves malformed input to validation', () => {
    for (const spec of [null, 'x', { matchConstraints: 'no' }, { matchConstraints: { resourceRules: [null, 3] } }, { matchResources: [] }]) {
      expect(() => applyDefaults(VAP, { metadata: { name: 'x' }, spec }, alloc)).not.toThrow();
      expect(() => applyDefaults(VAPB, { metadata: { name: 'x' }, spec }, alloc)).not.toThrow();
    }
  });
});

describe('printers', () => {
  const now = Date.parse('2026-11-23T12:00:00Z');
  const created = new Date(now - 90 * 60 * 1000).toISOString();
  const rows = (rt: typeof VAP, objects: Obj[]) => toTable(rt, objects.map((o) => ({ ...o, metadata: { ...o.metadata, creationTimestamp: created } })), { now }).rows.map((r) => r.cells);

  it('ValidatingAdmissionPolicy: NAME, VALIDATIONS, PARAMKIND, AGE', () => {
    expect(tableColumns(VAP).map((c) => [c.name, c.type])).toEqual([
      ['Name', 'string'],
      ['Validations', 'integer'],
      ['ParamKind', 'string'],
      ['Age', 'string'],
    ]);
    const withParams = policy();
    withParams.spec.paramKind = { apiVersion: 'rules.example.com/v1', kind: 'ReplicaLimit' };
    withParams.spec.validations.push({ expression: 'true' });
    const auditOnly = policy();
    auditOnly.metadata.name = 'audit';
    auditOnly.spec.validations = undefined;
    expect(rows(VAP, [withParams, auditOnly])).toEqual([
      ['policy.example.com', 2, 'rules.example.com/v1/ReplicaLimit', '90m'],
      ['audit', 0, '<unset>', '90m'],
    ]);
  });

  it('ValidatingAdmissionPolicyBinding: NAME, POLICYNAME, PARAMREF, AGE', () => {
    expect(tableColumns(VAPB).map((c) => [c.name, c.type])).toEqual([
      ['Name', 'string'],
      ['PolicyName', 'string'],
      ['ParamRef', 'string'],
      ['Age', 'string'],
    ]);
    const withRef = (paramRef: Obj | undefined): Obj => ({ ...binding(), spec: { ...binding().spec, paramRef } });
    expect(
      rows(VAPB, [
        withRef(undefined),
        withRef({ name: 'limits', namespace: 'team-a', parameterNotFoundAction: 'Deny' }),
        withRef({ name: 'limits', parameterNotFoundAction: 'Deny' }),
        withRef({ selector: { matchLabels: { b: '2', a: '1' } }, parameterNotFoundAction: 'Deny' }),
      ]).map((r) => r[2]),
    ).toEqual(['<unset>', 'team-a/limits', '*/limits', '&LabelSelector{MatchLabels:map[string]string{a: 1,b: 2,},MatchExpressions:[]LabelSelectorRequirement{},}']);
    expect(rows(VAPB, [binding()])).toEqual([['binding.example.com', 'policy.example.com', '<unset>', '90m']]);
  });

  it("prints a selector's expressions as Go's LabelSelector.String()", () => {
    expect(goLabelSelectorString({ matchExpressions: [{ key: 'tier', operator: 'In', values: ['a', 'b'] }, { key: 'x', operator: 'Exists' }] })).toBe(
      '&LabelSelector{MatchLabels:map[string]string{},MatchExpressions:[]LabelSelectorRequirement{LabelSelectorRequirement{Key:tier,Operator:In,Values:[a b],},LabelSelectorRequirement{Key:x,Operator:Exists,Values:[],},},}',
    );
  });
});
