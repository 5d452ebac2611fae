// kubeconform's schemas made here: from a release's OpenAPI document (api/openapi-spec/swagger.json) and from CRD
// files, written the way kubeconform looks them up — standalone (no $ref) and strict (no unknown fields).
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON Schema documents are walked generically
type Schema = Record<string, any>;

const INT_OR_STRING = { oneOf: [{ type: 'string' }, { type: 'integer' }] };
const QUANTITY = { oneOf: [{ type: 'string' }, { type: 'number' }] };

/** Objects reject unknown fields unless they say otherwise; a field may be null, as Helm writes an empty value. */
function strictify(schema: Schema): Schema {
  if (Array.isArray(schema)) return schema.map(strictify);
  if (!schema || typeof schema !== 'object') return schema;
  if (schema['x-kubernetes-int-or-string'] || schema.format === 'int-or-string') return { ...INT_OR_STRING, description: schema.description };
  const out: Schema = {};
  for (const [k, v] of Object.entries(schema)) {
    if (k === 'properties' || k === 'patternProperties' || k === 'definitions') {
      out[k] = Object.fromEntries(Object.entries(v as Schema).map(([p, s]) => [p, strictify(s as Schema)]));
    } else if (['items', 'additionalProperties', 'not'].includes(k) && typeof v === 'object') out[k] = strictify(v as Schema);
    else if (['allOf', 'anyOf', 'oneOf'].includes(k)) out[k] = (v as Schema[]).map(strictify);
    else out[k] = v;
  }
  if (out.properties && out.additionalProperties === undefined && !out['x-kubernetes-preserve-unknown-fields']) out.additionalProperties = false;
  if (typeof out.type === 'string') out.type = [out.type, 'null'];
  return out;
}

/** `{kind}{-group-version}.json` as kubeconform's schemaPath computes it. */
const fileName = (group: string, version: string, kind: string) =>
  `${kind.toLowerCase()}-${group === '' ? '' : `${group.split('.')[0]!.toLowerCase()}-`}${version.toLowerCase()}.json`;

/** Writes <out>/v<version>-standalone-strict/*.json from a release's swagger.json. */
export async function kubernetesSchemas(swaggerFile: string, version: string, out: string): Promise<string> {
  const swagger = JSON.parse(await readFile(swaggerFile, 'utf8')) as { definitions: Record<string, Schema> };
  const defs = swagger.definitions;
  const resolve = (schema: Schema, stack: string[]): Schema => {
    if (Array.isArray(schema)) return schema.map((s) => resolve(s, stack));
    if (!schema || typeof schema !== 'object') return schema;
    if (typeof schema.$ref === 'string') {
      const name = schema.$ref.replace('#/definitions/', '');
      if (name === 'io.k8s.apimachinery.pkg.api.resource.Quantity') return QUANTITY;
      if (name === 'io.k8s.apimachinery.pkg.util.intstr.IntOrString') return INT_OR_STRING;
      // A recursive type (JSONSchemaProps) is cut after one level: anything is accepted below it.
      if (stack.includes(name)) return {};
      return resolve(defs[name] ?? {}, [...stack, name]);
    }
    return Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, typeof v === 'object' ? resolve(v, stack) : v]));
  };
  const dir = join(out, `v${version}-standalone-strict`);
  await mkdir(dir, { recursive: true });
  for (const [name, def] of Object.entries(defs)) {
    for (const gvk of (def['x-kubernetes-group-version-kind'] ?? []) as Array<{ group: string; version: string; kind: string }>) {
      const schema = strictify(resolve(def, [name]));
      await writeFile(join(dir, fileName(gvk.group, gvk.version, gvk.kind)), JSON.stringify(schema));
    }
  }
  return join(out, '{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json');
}

/** Writes <out>/crds/<group>/<kind>_<version>.json for every version of every CRD in the files. */
export async function crdSchemas(files: string[], out: string): Promise<string> {
  for (const file of files) {
    for (const doc of parseAllDocuments(await readFile(file, 'utf8'))) {
      const crd = doc.toJS() as Schema | null;
      if (crd?.kind !== 'CustomResourceDefinition') continue;
      const dir = join(out, 'crds', crd.spec.group);
      await mkdir(dir, { recursive: true });
      for (const v of crd.spec.versions as Schema[]) {
        const schema = strictify(v.schema?.openAPIV3Schema ?? {});
        // metadata is the API server's ObjectMeta, validated elsewhere; the CRD schema leaves it open.
        if (schema.properties?.metadata) schema.properties.metadata = { type: 'object' };
        await writeFile(join(dir, `${crd.spec.names.kind.toLowerCase()}_${v.name}.json`), JSON.stringify(schema));
      }
    }
  }
  return join(out, 'crds/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json');
}
