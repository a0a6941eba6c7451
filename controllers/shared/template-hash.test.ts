import { deployment } from '../../test/fixtures/deployments';
import { computeTemplateHash } from './template-hash';

describe('template hash', () => {
  const d = deployment();
  test('stable, independent of key order and empty maps, safe alphabet', () => {
    const a = computeTemplateHash(d.spec!.template);
    const reordered = { spec: { containers: [{ image: 'nginx:1', name: 'c' }] }, metadata: { annotations: {}, labels: { app: 'web' } } };
    expect(computeTemplateHash(reordered)).toBe(a);
    expect(a).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]+$/);
  });
  test('changes with the template and with the collision count', () => {
    const a = computeTemplateHash(d.spec!.template);
    const other = structuredClone(d.spec!.template);
    other.spec!.containers[0].image = 'nginx:2';
    expect(computeTemplateHash(other)).not.toBe(a);
    expect(computeTemplateHash(d.spec!.template, 1)).not.toBe(a);
    expect(computeTemplateHash(d.spec!.template, 1)).not.toBe(computeTemplateHash(d.spec!.template, 2));
  });
});
