// Lint rules: typescript-eslint's recommended type-aware set, plus the rule that
// catches the bug this library cares most about (promises nobody awaits), and the
// architecture's layers (scripts/lint-layers.js).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import layers from './scripts/lint-layers.js';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'reports/**', 'coverage/**', '.tmp/**', 'api-reference/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['*.js'] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    // The architecture's layers (docs/overview.md): a wrong-way import or an import circle fails the lint.
    files: ['src/**/*.ts', 'machines/**/*.ts'],
    plugins: { ae: layers },
    rules: { 'ae/layers': ['error', { root: import.meta.dirname }], 'ae/circles': ['error', { root: import.meta.dirname }] },
  },
  { files: ['**/*.js'], ...tseslint.configs.disableTypeChecked },
);
