import { celRuleViolations, celViolations } from './cel';
import { applySchemaDefaults, type JSONSchemaProps, prune, structuralViolations, validateValue } from './schema';

const schema: JSONSchemaProps = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      required: ['size'],
      properties: {
        size: { type: 'integer', minimum: 1, maximum: 5 },
        name: { type: 'string', maxLength: 3, pattern: '^[a-z]+$' },
        when: { type: 'string', format: 'date-time' },
        mode: { type: 'string', enum: ['A', 'B'], default: 'A' },
        port: { 'x-kubernetes-int-or-string': true },
        free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
        labels: { type: 'object', additionalProperties: { type: 'string' } },
        tags: { type: 'array', maxItems: 2, 'x-kubernetes-list-type': 'set', items: { type: 'string' } },
        ports: { type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'], items: { type: 'object', properties: { name: { type: 'string' }, n: { type: 'integer', default: 80 } } } },
        template: { type: 'object', 'x-kubernetes-embedded-resource': true, 'x-kubernetes-preserve-unknown-fields': true },
      },
    },
  },
};
const messages = (v: unknown) => validateValue(v, schema, '').map((c) => `${c.field}: ${c.message}`);

describe('structural schemas', () => {
  it('prunes fields the schema does not name, keeping preserved ones and the root metadata', () => {
    const obj = { apiVersion: 'x/v1', kind: 'K', metadata: { name: 'a' }, extra: 1, spec: { size: 1, bogus: true, free: { any: { thing: 1 } }, labels: { a: 'b' }, ports: [{ name: 'p', junk: 1 }] } };
    expect(prune(obj, schema).sort()).toEqual(['extra', 'spec.bogus', 'spec.ports[0].junk']);
    expect(obj).toEqual({ apiVersion: 'x/v1', kind: 'K', metadata: { name: 'a' }, spec: { size: 1, free: { any: { thing: 1 } }, labels: { a: 'b' }, ports: [{ name: 'p' }] } });
  });

  it('applies defaults to missing fields, in list items too', () => {
    const obj = { spec: { size: 1, ports: [{ name: 'p' }, { name: 'q', n: 8 }] } };
    applySchemaDefaults(obj, schema);
    expect(obj.spec).toEqual({ size: 1, mode: 'A', ports: [{ name: 'p', n: 80 }, { name: 'q', n: 8 }] });
  });

  it('reports types, bounds, lengths, patterns, formats, enums, required and list types as kube-openapi does', () => {
    expect(messages({ spec: { size: 9, name: 'ABCD', when: 'yesterday', mode: 'C', port: true, tags: ['a', 'a', 'b'], ports: [{ name: 'x' }, { name: 'x' }] } })).toEqual([
      'spec.size: Invalid value: 9: spec.size in body should be less than or equal to 5',
      'spec.name: Too long: may not be longer than 3',
      "spec.name: Invalid value: \"ABCD\": spec.name in body should match '^[a-z]+$'",
      'spec.when: Invalid value: "yesterday": spec.when in body must be of type date-time: "yesterday"',
      'spec.mode: Unsupported value: "C": supported values: "A", "B"',
      'spec.port: Invalid value: "boolean": spec.port in body must be of type string or integer: "boolean"',
      'spec.tags: Too many: 3: must have at most 2 items',
      'spec.tags[1]: Duplicate value: "a"',
      'spec.ports[1]: Duplicate value: {"name":"x"}',
    ]);
    expect(messages({ spec: { name: 'ab' } })).toEqual(['spec.size: Required value']);
    expect(messages({ spec: 'x' })).toEqual(['spec: Invalid value: "string": spec in body must be of type object: "string"']);
    expect(messages({ spec: { size: 2, port: 'http', labels: { a: 1 } } })).toEqual(['spec.labels.a: Invalid value: "integer": spec.labels.a in body must be of type string: "integer"']);
  });

  it('requires apiVersion and kind of embedded resources', () => {
    expect(messages({ spec: { size: 1, template: { metadata: {} } } })).toEqual(['spec.template.apiVersion: Required value: must not be empty', 'spec.template.kind: Required value: must not be empty']);
  });

  it('finds schemas that are not structural', () => {
    const bad: JSONSchemaProps = { type: 'object', properties: { a: { properties: {} }, b: { type: 'array' }, c: { type: 'thing' } } };
    expect(structuralViolations(bad, 'schema').map((c) => `${c.field}: ${c.message}`)).toEqual([
      'schema.properties[a].type: Required value: must not be empty for specified object fields',
      'schema.properties[b].items: Required value: must be specified',
      'schema.properties[c].type: Unsupported value: "thing": supported values: "array", "boolean", "integer", "number", "object", "string"',
    ]);
  });
});

describe('CEL rules', () => {
  const cel: JSONSchemaProps = {
    type: 'object',
    properties: {
      spec: {
        type: 'object',
        'x-kubernetes-validations': [
          { rule: 'self.min <= self.max', message: 'min must not exceed max' },
          { rule: 'self.max >= oldSelf.max', message: 'max may only grow' },
        ],
        properties: { min: { type: 'integer' }, max: { type: 'integer' } },
      },
    },
  };
  it('checks rules on create, and transition rules only on update', () => {
    expect(celViolations({ spec: { min: 1, max: 2 } }, undefined, cel)).toEqual([]);
    expect(celViolations({ spec: { min: 3, max: 2 } }, undefined, cel).map((c) => `${c.field}: ${c.message}`)).toEqual(['spec: Invalid value: "object": min must not exceed max']);
    expect(celViolations({ spec: { min: 1, max: 2 } }, { spec: { min: 1, max: 3 } }, cel).map((c) => c.message)).toEqual(['Invalid value: "object": max may only grow']);
  });

  it('messageExpression gives the message, falling back to message as kube-apiserver does', () => {
    const rule = (extra: Record<string, string>): JSONSchemaProps => ({
      type: 'object',
      properties: { replicas: { type: 'integer' } },
      'x-kubernetes-validations': [{ rule: 'self.replicas <= 5', message: 'too many replicas', ...extra }],
    });
    const messages = (s: JSONSchemaProps) => celViolations({ replicas: 7 }, undefined, s).map((c) => c.message);
    expect(messages(rule({ messageExpression: "'replicas must be at most 5, got ' + string(self.replicas)" }))).toEqual(['Invalid value: "object": replicas must be at most 5, got 7']);
    // A runtime error, a blank string, a line break or a non-string: the message instead.
    for (const messageExpression of ['string(self.missing)', "'  '", "'two\\nlines'", 'self.replicas']) {
      expect([messageExpression, messages(rule({ messageExpression }))]).toEqual([messageExpression, ['Invalid value: "object": too many replicas']]);
    }
    expect(celViolations({ replicas: 3 }, undefined, rule({ messageExpression: "'unused'" }))).toEqual([]);
  });
  it('a CRD whose messageExpression does not compile, or is blank, is refused', () => {
    const bad: JSONSchemaProps = { type: 'object', 'x-kubernetes-validations': [{ rule: 'true', messageExpression: "'unclosed" }, { rule: 'true', messageExpression: ' ' }] };
    const causes = celRuleViolations(bad, 'spec.validation.openAPIV3Schema');
    expect(causes.map((c) => [c.field, c.reason])).toEqual([
      ['spec.validation.openAPIV3Schema.x-kubernetes-validations[0].messageExpression', 'FieldValueInvalid'],
      ['spec.validation.openAPIV3Schema.x-kubernetes-validations[1].messageExpression', 'FieldValueRequired'],
    ]);
    expect(causes[0].message).toMatch(/^Invalid value: "'unclosed": messageExpression compilation failed: /);
  });
});
