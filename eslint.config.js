import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Import layering (docs/architecture.md, docs/adr/0015-lib-ground-floor.md). lib/ and crds/ are the ground floor and
// import no product folder; a product folder imports lib/, crds/ and only the declared public entry points of another
// product folder; no product code imports test/ or bench/. Tests beside product code (*.test.ts) may import anything.
// Sources are relative paths, so `(../)+<folder>/` is a top-level folder: no folder below the top reuses these names.
const PRODUCT = ['operator', 'api', 'agent', 'gitops', 'pulumi'];
const PUBLIC_ENTRY = {
  operator: { regex: 'core/index\\.js$', name: 'operator/core/index.ts (the pure core)' },
  gitops: { regex: 'index\\.js$', name: 'gitops/index.ts' },
  pulumi: { regex: 'outputs\\.js$', name: 'pulumi/outputs.ts (the stack outputs)' },
};
const up = '^(\\.\\./)+';
const testCode = { regex: `${up}(test|bench)/`, message: 'product code never imports test/ or bench/; move what it needs to lib/' };
const layer = (folder) => ({
  files: [`${folder}/**/*.ts`, `${folder}/**/*.tsx`],
  ignores: ['**/*.test.ts'],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          testCode,
          ...PRODUCT.filter((other) => other !== folder).map((other) => {
            const entry = PUBLIC_ENTRY[other];
            return entry
              ? { regex: `${up}${other}/(?!${entry.regex})`, message: `import ${other}/ only through ${entry.name}` }
              : { regex: `${up}${other}/`, message: `${other}/ has no public entry point; share the code through lib/` };
          }),
        ],
      },
    ],
  },
});
const groundFloor = (folder) => ({
  files: [`${folder}/**/*.ts`],
  ignores: ['**/*.test.ts'],
  rules: {
    'no-restricted-imports': [
      'error',
      { patterns: [testCode, { regex: `${up}(${PRODUCT.join('|')})/`, message: `${folder}/ is the ground floor: it imports no product folder` }] },
    ],
  },
});

export default tseslint.config(
  { ignores: ['node_modules/', 'charts/', 'crds/generated/', 'coverage/', 'dist/', '**/*.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  { files: ['**/*.test.ts'], rules: { '@typescript-eslint/no-explicit-any': 'off' } },
  groundFloor('lib'),
  groundFloor('crds'),
  ...PRODUCT.map(layer),
);
