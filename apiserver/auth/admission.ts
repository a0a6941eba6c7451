// The admission chain every user write goes through (k8s.io/apiserver/pkg/admission): mutating
// plugins in order, then (after the kind's own validation) validating plugins in order; the first
// refusal wins. Server-internal writes run as system:apiserver.
import type { AdmissionAttributes, AdmissionPlugin, UserInfo } from './types';
import { SystemPrivilegedGroup } from './types';

export const apiserverUser: UserInfo = { name: 'system:apiserver', groups: [SystemPrivilegedGroup, 'system:authenticated'] };

export class AdmissionChain {
  constructor(readonly plugins: readonly AdmissionPlugin[] = []) {}

  get empty(): boolean {
    return this.plugins.length === 0;
  }

  async admit(a: AdmissionAttributes): Promise<void> {
    for (const p of this.plugins) if (p.admit) await p.admit(a);
  }

  async validate(a: AdmissionAttributes): Promise<void> {
    for (const p of this.plugins) if (p.validate) await p.validate(a);
  }
}
