// ESLint (flat config): typescript-eslint with type information for the code in tsconfig.json;
// stacks/ and sst.config.ts are checked without it (their types come from .sst/, fetched on demand).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', '.sst/', 'docs/', 'coverage/', 'packages/local/.build/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      globals: {
        process: 'readonly',
        console: 'readonly',
        URL: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        AbortController: 'readonly',
        setImmediate: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    files: ['stacks/**/*.ts', 'sst.config.ts', '**/*.mjs', '**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
  // SST's own app file references its generated platform types this way.
  { files: ['sst.config.ts'], rules: { '@typescript-eslint/triple-slash-reference': 'off' } },
  // A stand-in for SST's untyped globals ($app, sst.aws.*): `any` is what it models.
  { files: ['test/helpers/sst-standin.ts'], rules: { '@typescript-eslint/no-explicit-any': 'off' } },
);
