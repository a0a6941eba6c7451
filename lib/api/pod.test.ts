// Table tests of the shared pod predicates.
import type { PodSpec } from 'kubernetes-types/core/v1';
import { qosClass } from './pod';

describe('qosClass', () => {
  it.each([
    [{ containers: [{ name: 'a' }] }, 'BestEffort'],
    [{ containers: [{ name: 'a', resources: { requests: { cpu: '100m' } } }] }, 'Burstable'],
    [{ containers: [{ name: 'a', resources: { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '1', memory: '1Gi' } } }] }, 'Guaranteed'],
    [{ containers: [{ name: 'a', resources: { limits: { cpu: '1' }, requests: { cpu: '1' } } }] }, 'Burstable'],
    [{ containers: [{ name: 'a', resources: { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '1000m', memory: '1024Mi' } } }] }, 'Guaranteed'],
    [{ containers: [{ name: 'a', resources: { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '500m', memory: '1Gi' } } }] }, 'Burstable'],
  ])('%j → %s', (spec, want) => expect(qosClass(spec as PodSpec)).toBe(want));
});
