// Reading manifests: multi-document YAML, Lists, objects without apiVersion or kind.
import { parseManifests } from './manifests';

describe('manifests', () => {
  it('splits multi-document YAML and Lists, and rejects objects without kind', () => {
    const docs = parseManifests('---\napiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n---\n---\napiVersion: v1\nkind: Service\nmetadata: {name: b}\n', 'f');
    expect(docs.map((d) => d.object.kind)).toEqual(['ConfigMap', 'Service']);
    expect(() => parseManifests('metadata: {name: x}\n', 'f.yaml')).toThrow('apiVersion not set, kind not set');
  });
});
