// A namespace's Pod Security policy from its labels (k8s.io/pod-security-admission/api):
// pod-security.kubernetes.io/{enforce,audit,warn} name a level (privileged, baseline, restricted) and
// the -version labels a policy version (latest or v1.x). Unset modes keep the defaults (privileged:latest);
// warn follows a stricter enforce level when it is not set itself. Bad values are field errors (a
// namespace with them is refused); enforce then fails closed at restricted, audit and warn open.
import type { Level, PolicyVersion } from './checks';

export const labelPrefix = 'pod-security.kubernetes.io/';
export const EnforceLevelLabel = `${labelPrefix}enforce`;
export const EnforceVersionLabel = `${labelPrefix}enforce-version`;
export const AuditLevelLabel = `${labelPrefix}audit`;
export const AuditVersionLabel = `${labelPrefix}audit-version`;
export const WarnLevelLabel = `${labelPrefix}warn`;
export const WarnVersionLabel = `${labelPrefix}warn-version`;
/** Audit annotation keys (the plugin's audit annotations carry its prefix). */
export const EnforcedPolicyAnnotation = `${labelPrefix}enforce-policy`;
export const AuditViolationsAnnotation = `${labelPrefix}audit-violations`;
export const ExemptAnnotation = `${labelPrefix}exempt`;

export interface LevelVersion {
  level: Level;
  version: PolicyVersion;
}

export interface Policy {
  enforce: LevelVersion;
  audit: LevelVersion;
  warn: LevelVersion;
}

export interface FieldError {
  field: string;
  value: string;
  message: string;
}

const levels: Level[] = ['privileged', 'baseline', 'restricted'];

export function levelVersionString(lv: LevelVersion): string {
  return `${lv.level}:${lv.version === 'latest' ? 'latest' : `v1.${lv.version}`}`;
}

export function sameLevelVersion(a: LevelVersion, b: LevelVersion): boolean {
  return a.level === b.level && a.version === b.version;
}

export function equivalentLevelVersion(a: LevelVersion, b: LevelVersion): boolean {
  return (a.level === 'privileged' && b.level === 'privileged') || sameLevelVersion(a, b);
}

export function compareLevels(a: Level, b: Level): number {
  return levels.indexOf(a) - levels.indexOf(b);
}

export function fullyPrivileged(p: Policy): boolean {
  return p.enforce.level === 'privileged' && p.audit.level === 'privileged' && p.warn.level === 'privileged';
}

export const defaultPolicy: Policy = {
  enforce: { level: 'privileged', version: 'latest' },
  audit: { level: 'privileged', version: 'latest' },
  warn: { level: 'privileged', version: 'latest' },
};

function parseLevel(v: string): Level | undefined {
  return (levels as string[]).includes(v) ? (v as Level) : undefined;
}

function parseVersion(v: string): PolicyVersion | undefined {
  if (v === 'latest') return 'latest';
  const m = /^v1\.([0-9]|[1-9][0-9]*)$/.exec(v);
  return m ? Number(m[1]) : undefined;
}

/** api.PolicyToEvaluate: the policy of a namespace's labels and the errors in them. */
export function policyToEvaluate(labels: Record<string, string> | undefined, defaults: Policy = defaultPolicy): { policy: Policy; errors: FieldError[] } {
  const p: Policy = { enforce: { ...defaults.enforce }, audit: { ...defaults.audit }, warn: { ...defaults.warn } };
  const errors: FieldError[] = [];
  if (!labels || Object.keys(labels).length === 0) return { policy: p, errors };
  const err = (label: string, value: string, message: string) => errors.push({ field: `metadata.labels[${label}]`, value, message });
  const levelMsg = `must be one of ${levels.join(', ')}`;
  const versionMsg = 'must be "latest" or "v1.x"';
  let hasEnforceLevel = false;
  let hasWarnLevel = false;
  let hasWarnVersion = false;
  const readLevel = (label: string, onBad: Level): Level | undefined => {
    const v = labels[label];
    if (v === undefined) return undefined;
    const l = parseLevel(v);
    if (l) return l;
    err(label, v, levelMsg);
    return onBad;
  };
  const readVersion = (label: string): PolicyVersion | undefined => {
    const v = labels[label];
    if (v === undefined) return undefined;
    const parsed = parseVersion(v);
    if (parsed !== undefined) return parsed;
    err(label, v, versionMsg);
    return 'latest';
  };
  // A bad enforce level fails closed (restricted); bad audit and warn levels fail open.
  const enforceLevel = readLevel(EnforceLevelLabel, 'restricted');
  if (enforceLevel) {
    p.enforce.level = enforceLevel;
    hasEnforceLevel = parseLevel(labels[EnforceLevelLabel]) !== undefined;
  }
  const enforceVersion = readVersion(EnforceVersionLabel);
  if (enforceVersion !== undefined) p.enforce.version = enforceVersion;
  const auditLevel = readLevel(AuditLevelLabel, 'privileged');
  if (auditLevel) p.audit.level = auditLevel;
  const auditVersion = readVersion(AuditVersionLabel);
  if (auditVersion !== undefined) p.audit.version = auditVersion;
  const warnLevel = readLevel(WarnLevelLabel, 'privileged');
  if (warnLevel) {
    hasWarnLevel = true;
    p.warn.level = warnLevel;
  }
  const warnVersion = readVersion(WarnVersionLabel);
  if (warnVersion !== undefined) {
    hasWarnVersion = true;
    p.warn.version = warnVersion;
  }
  if (!hasWarnLevel && hasEnforceLevel && compareLevels(p.enforce.level, p.warn.level) > 0) {
    p.warn.level = p.enforce.level;
    if (!hasWarnVersion) p.warn.version = p.enforce.version;
  }
  return { policy: p, errors };
}
