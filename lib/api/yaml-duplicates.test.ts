// Repeated YAML keys as go-yaml's strict decoding words them, on kube's own field-validation bodies
// (test/integration/apiserver/field_validation_test.go: invalidBodyYAML, and applyInvalidBody — JSON
// read as YAML, as every apply patch is).
import { yamlDuplicateKeys } from './yaml-duplicates';

const invalidBodyYAML = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: dupename
  name: test
  unknownMeta: metaVal
  labels:
    app: nginx
spec:
  unknown1: val1
  unknownDupe: valDupe
  unknownDupe: valDupe2
  paused: true
  paused: false
  selector:
    matchLabels:
      app: nginx
  template:
    metadata:
      labels:
        app: nginx
    spec:
      containers:
      - name: nginx
        image: nginx:latest
        unknownNested: val1
        imagePullPolicy: Always
        imagePullPolicy: Never`;

const applyInvalidBody = `{
		"apiVersion": "apps/v1",
		"kind": "Deployment",
		"metadata": {
			"name": "x",
			"labels": {"app": "nginx"}
		},
		"spec": {
			"paused": false,
			"paused": true,
			"selector": {
				"matchLabels": {
					"app": "nginx"
				}
			},
			"template": {
				"metadata": {
					"labels": {
						"app": "nginx"
					}
				},
				"spec": {
					"containers": [{
						"name":  "nginx",
						"image": "nginx:latest",
						"imagePullPolicy": "Never",
						"imagePullPolicy": "Always"
					}]
				}
			}
		}
	}`;

test.each<[string, string, string[]]>([
  ['a block-style body', invalidBodyYAML, ['line 5: key "name" already set in map', 'line 12: key "unknownDupe" already set in map', 'line 14: key "paused" already set in map', 'line 28: key "imagePullPolicy" already set in map']],
  ['JSON read as YAML', applyInvalidBody, ['line 10: key "paused" already set in map', 'line 27: key "imagePullPolicy" already set in map']],
  ['quoted keys equal to a plain one, flow mappings, three of a kind', `a: 1\n'a': 2\nb: {x: 1, "x": 2}\nc: 1\nc: 2\nc: 3\n`, ['line 2: key "a" already set in map', 'line 3: key "x" already set in map', 'line 5: key "c" already set in map', 'line 6: key "c" already set in map']],
  ['none', 'a: {b: 1}\nc: [{b: 1}, {b: 2}]\n', []],
])('%s', (_what, text, want) => {
  expect(yamlDuplicateKeys(text).map((d) => d.message)).toEqual(want);
});
