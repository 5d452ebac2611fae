import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderCrdFiles } from './crd.js';
import { INVALID, VALID, loadExamples } from './fixtures.js';
import { validate, validateAny, validateUpdate } from './index.js';

describe('generated CRDs', () => {
  it('match the committed files (run `npm run crds` after changing a schema)', () => {
    for (const [name, content] of Object.entries(renderCrdFiles())) {
      expect(readFileSync(join(import.meta.dirname, 'generated', name), 'utf8')).toBe(content);
    }
  });

  it('use no containsCIDR, whose verdict in Kubernetes 1.31 differs from later versions for an address with bits past the prefix', () => {
    expect(Object.values(renderCrdFiles()).filter((content) => content.includes('containsCIDR'))).toEqual([]);
  });
});

describe('validate()', () => {
  it.each(loadExamples().map((o) => [`${o.kind}/${o.metadata.name}`, o] as const))('accepts the example %s', (_, object) => {
    expect(validateAny(object)).toMatchObject({ ok: true });
  });

  it.each(VALID.map((r) => [r.name, r] as const))('accepts the %s', (_, row) => {
    expect(validate(row.kind, row.object)).toMatchObject({ ok: true });
  });

  it.each(INVALID.map((r) => [r.name, r] as const))('refuses %s, naming the field', (_, row) => {
    const result = validate(row.kind, row.object);
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.errors.map((e) => e.field)).toContain(row.field);
  });

  it('applies defaults', () => {
    const nvr = loadExamples().find((o) => o.metadata.name === 'annex')!;
    const result = validate('Nvr', nvr);
    expect(result.ok && { port: result.value.spec.publicRtspPort, cameras: result.value.spec.cameras }).toEqual({ port: 554, cameras: [] });
  });

  it('refuses a change of schoolRef on update', () => {
    const nvr = loadExamples().find((o) => o.kind === 'Nvr')!;
    const moved = { ...nvr, spec: { ...nvr.spec, schoolRef: 'school-4-samarkand' } };
    expect(validateUpdate('Nvr', nvr, moved)).toEqual({ ok: false, errors: [{ field: 'spec.schoolRef', message: 'schoolRef is immutable' }] });
    expect(validateUpdate('Nvr', nvr, { ...nvr, spec: { ...nvr.spec, publicRtspPort: 20554 } }).ok).toBe(true);
  });

  it('names the kind field for an object of no known kind', () => {
    expect(validateAny({ kind: 'Camera' })).toEqual({ ok: false, errors: [{ field: 'kind', message: 'must be one of School, Nvr, MediaNode, FaceIdDevice' }] });
  });
});
