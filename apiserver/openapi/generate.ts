// The build step that generates the built-in kinds' OpenAPI documents (`npm run build` runs it after
// tsc): /openapi/v2 as JSON and gnostic protobuf, and /openapi/v3's group-version documents, written
// into dist/apiserver/openapi/generated/, where installOpenApi loads them at start.
import { allResources } from '../../lib/api/resources';
import { useClientNodeModels } from '../model-attributes';
import { generatedOpenApiDir, writeGeneratedOpenApi } from '.';

// The documents come from the models themselves, never from an earlier build's records.
useClientNodeModels();
const started = Date.now();
const gen = writeGeneratedOpenApi(process.argv[2] ?? generatedOpenApiDir, allResources);
process.stdout.write(
  `openapi: ${gen.kinds.length} built-in kinds, v2 ${gen.v2json.length} bytes JSON / ${gen.v2proto.length} protobuf, ${gen.v3.size} v3 group-versions, in ${Date.now() - started} ms\n`,
);
