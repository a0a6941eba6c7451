// admissionregistration.k8s.io/v1 validation: Mutating- and ValidatingWebhookConfigurations, as kube's
// pkg/apis/admissionregistration/validation (ValidateMutatingWebhookConfiguration,
// ValidateValidatingWebhookConfiguration) with its field paths, messages and order, and k8s.io/apiserver's
// checks of a webhook's URL and service (pkg/util/webhook/validation.go). Updates are held to the create
// rules: kube's relaxations for objects stored by older servers (ratcheting) are left out.
import type {
  MatchCondition,
  MutatingWebhook,
  MutatingWebhookConfiguration,
  RuleWithOperations,
  ValidatingWebhookConfiguration,
} from 'kubernetes-types/admissionregistration/v1';
import { validateQualifiedName } from '../../lib/api/selectors';
import { celCompileError } from '../crd/cel';
import {
  at,
  dns1035Label,
  dns1123Subdomain,
  duplicate,
  type FieldCause,
  goStrings,
  idx,
  invalid,
  invalidPrinted,
  isPortNumber,
  notSupported,
  portRangeMessage,
  required,
  tooMany,
  validateLabelSelector,
} from './common';

/** A rule as the API has it: kubernetes-types leaves out the Rule that RuleWithOperations inlines. */
export type Rule = RuleWithOperations & { resources?: string[]; scope?: string };
/** A policy's NamedRuleWithOperations as the API has it: a Rule (inlined Rule included) with resourceNames. */
export type NamedRule = Rule & { resourceNames?: string[] };
/** What the two kinds' webhooks share; a validating webhook has no reinvocationPolicy. */
type Webhook = Omit<MutatingWebhook, 'rules'> & { rules?: Rule[] };

// The supported values in kube's order (sets.String.List: sorted), which its messages list.
export const failurePolicies = ['Fail', 'Ignore'];
export const matchPolicies = ['Equivalent', 'Exact'];
// v1 accepts only webhooks without side effects on dry runs (v1beta1 also took Unknown and Some).
const noSideEffectClasses = ['None', 'NoneOnDryRun'];
const supportedOperations = ['*', 'CONNECT', 'CREATE', 'DELETE', 'UPDATE'];
const reinvocationPolicies = ['IfNeeded', 'Never'];
const scopes = ['*', 'Cluster', 'Namespaced'];
/** The AdmissionReview versions the apiserver can send, in kube's order (its first choice first). */
export const acceptedReviewVersions = ['v1', 'v1beta1'] as const;
const maxMatchConditions = 64;

// ---- net/url.Parse, as far as webhook URLs need it ----

/** The parts of a URL that ValidateWebhookURL reads. */
export interface GoURL {
  scheme: string;
  host: string;
  /** Userinfo.String(); undefined without an `@` in the authority. */
  user?: string;
  rawQuery: string;
  fragment: string;
}

/** strconv.Quote for the ASCII a URL error shows (control characters as \xNN, as Go does). */
function goQuote(s: string): string {
  const named: Record<string, string> = { '\x07': '\\a', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v', '"': '\\"', '\\': '\\\\' };
  let out = '';
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    if (named[ch]) out += named[ch];
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `"${out}"`;
}

const isAlnum = (c: number): boolean => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
const isHex = (c: number): boolean => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
const bytesOf = (s: string): number[] => [...Buffer.from(s, 'utf8')];
const textOf = (b: number[]): string => Buffer.from(b).toString('utf8');

/** shouldEscape(c, encodeHost): what may not stand unescaped in a host name. */
function hostByteNeedsEscape(c: number): boolean {
  return !isAlnum(c) && !`!$&'()*+,;=:[]<>"-_.~`.includes(String.fromCharCode(c));
}

type Mode = 'host' | 'zone' | 'path' | 'fragment' | 'userinfo';

/** url.unescape: the text with %XX decoded, or its error. */
function unescape(s: string, mode: Mode): { value: string } | { error: string } {
  const b = bytesOf(s);
  const out: number[] = [];
  for (let i = 0; i < b.length; ) {
    const c = b[i];
    if (c === 0x25) {
      if (i + 2 >= b.length || !isHex(b[i + 1]) || !isHex(b[i + 2])) return { error: `invalid URL escape ${goQuote(textOf(b.slice(i, i + 3)))}` };
      const v = parseInt(String.fromCharCode(b[i + 1], b[i + 2]), 16);
      const escape = textOf(b.slice(i, i + 3));
      // A host may %-encode only non-ASCII bytes (RFC 3986), and %25 before an IPv6 zone (RFC 6874).
      if (mode === 'host' && v >> 4 < 8 && escape !== '%25') return { error: `invalid URL escape ${goQuote(escape)}` };
      if (mode === 'zone' && escape !== '%25' && v !== 0x20 && v < 0x80 && hostByteNeedsEscape(v)) return { error: `invalid URL escape ${goQuote(escape)}` };
      out.push(v);
      i += 3;
      continue;
    }
    if ((mode === 'host' || mode === 'zone') && c < 0x80 && hostByteNeedsEscape(c)) return { error: `invalid character ${goQuote(String.fromCharCode(c))} in host name` };
    out.push(c);
    i++;
  }
  return { value: textOf(out) };
}

/** url.escape(s, encodeUserPassword), as Userinfo.String writes a user back. */
function escapeUserinfo(s: string): string {
  return bytesOf(s)
    .map((c) => (isAlnum(c) || '-_.~$&+,;='.includes(String.fromCharCode(c)) ? String.fromCharCode(c) : `%${c.toString(16).toUpperCase().padStart(2, '0')}`))
    .join('');
}

const validOptionalPort = (port: string): boolean => port === '' || /^:[0-9]*$/.test(port);

function parseHost(host: string): { value: string } | { error: string } {
  if (host.startsWith('[')) {
    const close = host.lastIndexOf(']');
    if (close < 0) return { error: "missing ']' in host" };
    const colonPort = host.slice(close + 1);
    if (!validOptionalPort(colonPort)) return { error: `invalid port ${goQuote(colonPort)} after host` };
    const zone = host.slice(0, close).indexOf('%25');
    if (zone >= 0) {
      const parts = [unescape(host.slice(0, zone), 'host'), unescape(host.slice(zone, close), 'zone'), unescape(host.slice(close), 'host')];
      for (const p of parts) if ('error' in p) return p;
      return { value: parts.map((p) => ('value' in p ? p.value : '')).join('') };
    }
  } else {
    const colon = host.lastIndexOf(':');
    if (colon >= 0 && !validOptionalPort(host.slice(colon))) return { error: `invalid port ${goQuote(host.slice(colon))} after host` };
  }
  return unescape(host, 'host');
}

const validUserinfo = (s: string): boolean => /^[A-Za-z0-9\-._:~!$&'()*+,;=%@]*$/.test(s);

/** url.parse without the fragment: the URL's parts, or the error Go gives. */
function parseWithoutFragment(raw: string): GoURL | string {
  if (/[\x00-\x1f\x7f]/.test(raw)) return 'net/url: invalid control character in URL';
  const url: GoURL = { scheme: '', host: '', rawQuery: '', fragment: '' };
  if (raw === '*') return url;
  // getScheme: letters, then letters, digits, '+', '-', '.' up to a ':'.
  let rest = raw;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (/[A-Za-z]/.test(c)) continue;
    if (/[0-9+\-.]/.test(c) && i > 0) continue;
    if (c === ':') {
      if (i === 0) return 'missing protocol scheme';
      url.scheme = raw.slice(0, i).toLowerCase();
      rest = raw.slice(i + 1);
    }
    break;
  }
  if (rest.endsWith('?') && rest.indexOf('?') === rest.length - 1) rest = rest.slice(0, -1);
  else {
    const q = rest.indexOf('?');
    if (q >= 0) {
      url.rawQuery = rest.slice(q + 1);
      rest = rest.slice(0, q);
    }
  }
  if (!rest.startsWith('/')) {
    if (url.scheme) return url; // an opaque URL (`https:host`): no host
    if (rest.split('/')[0].includes(':')) return 'first path segment in URL cannot contain colon';
  }
  if ((url.scheme || !rest.startsWith('///')) && rest.startsWith('//')) {
    let authority = rest.slice(2);
    const slash = authority.indexOf('/');
    rest = slash >= 0 ? authority.slice(slash) : '';
    if (slash >= 0) authority = authority.slice(0, slash);
    const atSign = authority.lastIndexOf('@');
    const host = parseHost(atSign < 0 ? authority : authority.slice(atSign + 1));
    if ('error' in host) return host.error;
    url.host = host.value;
    if (atSign >= 0) {
      const userinfo = authority.slice(0, atSign);
      if (!validUserinfo(userinfo)) return 'net/url: invalid userinfo';
      const colon = userinfo.indexOf(':');
      const parts = colon < 0 ? [userinfo] : [userinfo.slice(0, colon), userinfo.slice(colon + 1)];
      const decoded: string[] = [];
      for (const p of parts) {
        const u = unescape(p, 'userinfo');
        if ('error' in u) return u.error;
        decoded.push(escapeUserinfo(u.value));
      }
      url.user = decoded.join(':');
    }
  }
  const path = unescape(rest, 'path');
  return 'error' in path ? path.error : url;
}

/** Go's url.Parse, as far as ValidateWebhookURL reads it; a string is its error (`parse "…": …`). */
export function parseGoURL(raw: string): GoURL | string {
  const hash = raw.indexOf('#');
  const withoutFragment = hash < 0 ? raw : raw.slice(0, hash);
  const url = parseWithoutFragment(withoutFragment);
  if (typeof url === 'string') return `parse ${goQuote(withoutFragment)}: ${url}`;
  if (hash >= 0) {
    const fragment = unescape(raw.slice(hash + 1), 'fragment');
    if ('error' in fragment) return `parse ${goQuote(raw)}: ${fragment.error}`;
    url.fragment = fragment.value;
  }
  return url;
}

// ---- k8s.io/apiserver/pkg/util/webhook ----

/** ValidateWebhookURL: an absolute https URL with a host, no user, query or fragment. */
export function validateWebhookURL(field: string, url: string, forceHttps: boolean): FieldCause[] {
  const form = '; desired format: https://host[/path]';
  const u = parseGoURL(url);
  if (typeof u === 'string') return [required(field, `url must be a valid URL: ${u}${form}`)];
  const causes: FieldCause[] = [];
  if (forceHttps && u.scheme !== 'https') causes.push(invalid(field, u.scheme, `'https' is the only allowed URL scheme${form}`));
  if (u.host === '') causes.push(invalid(field, u.host, `host must be provided${form}`));
  if (u.user !== undefined) causes.push(invalid(field, u.user, 'user information is not permitted in the URL'));
  if (u.fragment !== '') causes.push(invalid(field, u.fragment, 'fragments are not permitted in the URL'));
  if (u.rawQuery !== '') causes.push(invalid(field, u.rawQuery, 'query parameters are not permitted in the URL'));
  return causes;
}

/**
 * ValidateWebhookService, with Go's parameter order (namespace, name). kube's callers pass the service's
 * name and namespace the other way round, so a missing namespace is
 * reported as `service.name: Required value: service name is required` and a missing name under
 * `service.namespace`; callers here do the same, to answer as kube-apiserver does.
 */
export function validateWebhookService(field: string, namespace: string, name: string, path: string | undefined, port: number | undefined): FieldCause[] {
  const causes: FieldCause[] = [];
  if (!name) causes.push(required(at(field, 'name'), 'service name is required'));
  if (!namespace) causes.push(required(at(field, 'namespace'), 'service namespace is required'));
  // v1 defaults the port to 443 before validation; an object not yet defaulted has that port.
  if (port !== undefined && !isPortNumber(port)) causes.push(invalid(at(field, 'port'), port, `port is not valid: ${portRangeMessage}`));
  if (path === undefined || path === '' || path === '/') return causes;
  const pathField = at(field, 'path');
  if (path === '//') return [...causes, invalid(pathField, path, 'segment[0] may not be empty')];
  if (!path.startsWith('/')) causes.push(invalid(pathField, path, "must start with a '/'"));
  // As Go slices it: the first character goes whatever it is, then one trailing '/'.
  let steps = path.slice(1);
  if (steps.endsWith('/')) steps = steps.slice(0, -1);
  steps.split('/').forEach((step, i) => {
    if (step === '') causes.push(invalid(pathField, path, `segment[${i}] may not be empty`));
    else for (const msg of dns1123Subdomain(step)) causes.push(invalid(pathField, path, `segment[${i}]: ${msg}`));
  });
  return causes;
}

// ---- rules ----

/** IsFullyQualifiedName: a DNS subdomain of at least three segments. */
function fullyQualifiedName(field: string, name: string | undefined): FieldCause[] {
  if (!name) return [required(field)];
  const errs = dns1123Subdomain(name);
  if (errs.length) return [invalid(field, name, errs.join(','))];
  if (name.split('.').length < 3) return [invalid(field, name, 'should be a domain with at least three segments separated by dots')];
  return [];
}

/** validateResources: `resource`, `resource/subresource` and their wildcards, without overlaps. */
function validateResources(resources: readonly string[], field: string): FieldCause[] {
  const causes: FieldCause[] = [];
  if (resources.length === 0) causes.push(required(field));
  const withWildcardSubresource = new Set<string>(); // x/*
  const subresourcesWithWildcardResource = new Set<string>(); // */x
  let hasDoubleWildcard = false;
  let hasSingleWildcard = false;
  let hasResourceWithoutSubresource = false;
  resources.forEach((resSub, i) => {
    if (resSub === '') {
      causes.push(required(idx(field, i)));
      return;
    }
    if (resSub === '*/*') hasDoubleWildcard = true;
    if (resSub === '*') hasSingleWildcard = true;
    const slash = resSub.indexOf('/');
    if (slash < 0) {
      // As kube's loop: the last resource without a subresource decides.
      hasResourceWithoutSubresource = resSub !== '*';
      return;
    }
    const res = resSub.slice(0, slash);
    const sub = resSub.slice(slash + 1);
    if (withWildcardSubresource.has(res)) causes.push(invalid(idx(field, i), resSub, `if '${res}/*' is present, must not specify ${resSub}`));
    if (subresourcesWithWildcardResource.has(sub)) causes.push(invalid(idx(field, i), resSub, `if '*/${sub}' is present, must not specify ${resSub}`));
    if (sub === '*') withWildcardSubresource.add(res);
    if (res === '*') subresourcesWithWildcardResource.add(sub);
  });
  if (resources.length > 1 && hasDoubleWildcard) causes.push(invalidPrinted(field, goStrings('[]string', resources), "if '*/*' is present, must not specify other resources"));
  if (hasSingleWildcard && hasResourceWithoutSubresource) causes.push(invalidPrinted(field, goStrings('[]string', resources), "if '*' is present, must not specify other resources without subresources"));
  return causes;
}

/** validateRuleWithOperations (with the inlined Rule's validateRule; subresources allowed). */
export function validateRule(rule: Rule, field: string): FieldCause[] {
  const causes: FieldCause[] = [];
  const ops = rule.operations ?? [];
  const opsField = at(field, 'operations');
  if (ops.length === 0) causes.push(required(opsField));
  if (ops.length > 1 && ops.includes('*')) causes.push(invalidPrinted(opsField, goStrings('[]admissionregistration.OperationType', ops), "if '*' is present, must not specify other operations"));
  ops.forEach((op, i) => {
    if (!supportedOperations.includes(op)) causes.push(notSupported(idx(opsField, i), op, supportedOperations));
  });
  const groups = rule.apiGroups ?? [];
  if (groups.length === 0) causes.push(required(at(field, 'apiGroups')));
  if (groups.length > 1 && groups.includes('*')) causes.push(invalidPrinted(at(field, 'apiGroups'), goStrings('[]string', groups), "if '*' is present, must not specify other API groups"));
  // An empty group is the legacy core group: allowed. An empty version is not.
  const versions = rule.apiVersions ?? [];
  if (versions.length === 0) causes.push(required(at(field, 'apiVersions')));
  if (versions.length > 1 && versions.includes('*')) causes.push(invalidPrinted(at(field, 'apiVersions'), goStrings('[]string', versions), "if '*' is present, must not specify other API versions"));
  versions.forEach((v, i) => {
    if (v === '') causes.push(required(idx(at(field, 'apiVersions'), i)));
  });
  causes.push(...validateResources(rule.resources ?? [], at(field, 'resources')));
  if (rule.scope !== undefined && !scopes.includes(rule.scope)) causes.push(notSupported(at(field, 'scope'), rule.scope, scopes));
  return causes;
}

function validateAdmissionReviewVersions(versions: readonly string[] | undefined, field: string): FieldCause[] {
  if (!versions?.length) return [required(field, `must specify one of ${acceptedReviewVersions.join(', ')}`)];
  const causes: FieldCause[] = [];
  const seen = new Set<string>();
  versions.forEach((v, i) => {
    if (seen.has(v)) {
      causes.push(invalid(idx(field, i), v, 'duplicate version'));
      return;
    }
    seen.add(v);
    for (const msg of dns1035Label(v)) causes.push(invalid(idx(field, i), v, msg));
  });
  if (!versions.some((v) => (acceptedReviewVersions as readonly string[]).includes(v))) {
    causes.push(invalidPrinted(field, goStrings('[]string', versions), `must include at least one of ${acceptedReviewVersions.join(', ')}`));
  }
  return causes;
}

/** validateMatchConditions: named CEL conditions, compiled for their syntax (a policy's may use params). */
export function validateMatchConditions(conditions: readonly MatchCondition[], field: string): FieldCause[] {
  const causes: FieldCause[] = [];
  if (conditions.length > maxMatchConditions) causes.push(tooMany(field, conditions.length, maxMatchConditions));
  const names = new Set<string>();
  conditions.forEach((mc, i) => {
    const f = idx(field, i);
    const expression = (mc.expression ?? '').trim();
    if (expression === '') causes.push(required(at(f, 'expression')));
    else {
      const error = celCompileError(expression);
      if (error) causes.push(invalid(at(f, 'expression'), expression, `compilation failed: ${error}`));
    }
    if (!mc.name) causes.push(required(at(f, 'name')));
    else for (const msg of validateQualifiedName(mc.name)) causes.push(invalid(at(f, 'name'), mc.name, msg));
    if (mc.name) {
      if (names.has(mc.name)) causes.push(duplicate(at(f, 'name'), mc.name));
      else names.add(mc.name);
    }
  });
  return causes;
}

/** validateMutatingWebhook / validateValidatingWebhook, in kube's order. */
function validateWebhook(hook: Webhook, field: string, mutating: boolean): FieldCause[] {
  const causes = fullyQualifiedName(at(field, 'name'), hook.name);
  (hook.rules ?? []).forEach((rule, i) => causes.push(...validateRule(rule, idx(at(field, 'rules'), i))));
  if (hook.failurePolicy !== undefined && !failurePolicies.includes(hook.failurePolicy)) causes.push(notSupported(at(field, 'failurePolicy'), hook.failurePolicy, failurePolicies));
  if (hook.matchPolicy !== undefined && !matchPolicies.includes(hook.matchPolicy)) causes.push(notSupported(at(field, 'matchPolicy'), hook.matchPolicy, matchPolicies));
  if (hook.sideEffects === undefined) causes.push(required(at(field, 'sideEffects'), `must specify one of ${noSideEffectClasses.join(', ')}`));
  else if (!noSideEffectClasses.includes(hook.sideEffects)) causes.push(notSupported(at(field, 'sideEffects'), hook.sideEffects, noSideEffectClasses));
  if (hook.timeoutSeconds !== undefined && (hook.timeoutSeconds > 30 || hook.timeoutSeconds < 1)) {
    causes.push(invalid(at(field, 'timeoutSeconds'), hook.timeoutSeconds, 'the timeout value must be between 1 and 30 seconds'));
  }
  causes.push(...validateLabelSelector(at(field, 'namespaceSelector'), hook.namespaceSelector));
  causes.push(...validateLabelSelector(at(field, 'objectSelector'), hook.objectSelector));
  if (mutating && hook.reinvocationPolicy !== undefined && !reinvocationPolicies.includes(hook.reinvocationPolicy)) {
    causes.push(notSupported(at(field, 'reinvocationPolicy'), hook.reinvocationPolicy, reinvocationPolicies));
  }
  const cc = hook.clientConfig ?? {};
  const ccField = at(field, 'clientConfig');
  if ((cc.url === undefined) === (cc.service === undefined)) causes.push(required(ccField, 'exactly one of url or service is required'));
  else if (cc.url !== undefined) causes.push(...validateWebhookURL(at(ccField, 'url'), cc.url, true));
  else if (cc.service) {
    // (name, namespace) into (namespace, name), exactly as kube calls it: see validateWebhookService.
    causes.push(...validateWebhookService(at(ccField, 'service'), cc.service.name ?? '', cc.service.namespace ?? '', cc.service.path, cc.service.port));
  }
  causes.push(...validateMatchConditions(hook.matchConditions ?? [], at(field, 'matchConditions')));
  return causes;
}

function validateWebhooks(webhooks: readonly Webhook[] | undefined, mutating: boolean): FieldCause[] {
  const causes: FieldCause[] = [];
  const names = new Set<string>();
  (webhooks ?? []).forEach((hook, i) => {
    const field = idx('webhooks', i);
    causes.push(...validateWebhook(hook, field, mutating));
    causes.push(...validateAdmissionReviewVersions(hook.admissionReviewVersions, at(field, 'admissionReviewVersions')));
    if (hook.name) {
      if (names.has(hook.name)) causes.push(duplicate(at(field, 'name'), hook.name));
      else names.add(hook.name);
    }
  });
  return causes;
}

export function validateMutatingWebhookConfiguration(c: MutatingWebhookConfiguration): FieldCause[] {
  return validateWebhooks(c.webhooks as Webhook[] | undefined, true);
}

export function validateValidatingWebhookConfiguration(c: ValidatingWebhookConfiguration): FieldCause[] {
  return validateWebhooks(c.webhooks as Webhook[] | undefined, false);
}
