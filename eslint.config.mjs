// ESLint flat config: ESLint's and typescript-eslint's recommended rules, type-aware, over the whole tree.
// Generated or recorded files are not linted (the same list as .prettierignore).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const untypedJson = {
  '@typescript-eslint/no-explicit-any': 'off',
  '@typescript-eslint/no-unsafe-argument': 'off',
  '@typescript-eslint/no-unsafe-assignment': 'off',
  '@typescript-eslint/no-unsafe-call': 'off',
  '@typescript-eslint/no-unsafe-member-access': 'off',
  '@typescript-eslint/no-unsafe-return': 'off',
};

export default tseslint.config(
  {
    ignores: [
      '.gen/**',
      'test/fixtures/**',
      'node_modules/**',
      'cdktf.out/**',
      '.toolchain/**',
      '.lab/**',
      '.cache/**',
      'dist/**',
      'coverage/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // A leading underscore marks a deliberately unused binding (destructuring a field away, a callback's slot).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
    },
  },
  {
    // The parse boundary that reads docker inspect JSON field by field, and tests that probe synthesized
    // JSON: a wrong shape fails the check or the assertion that reads it. (The lab file goes through a zod
    // schema, so stacks/lab.ts gets the full rule set.)
    files: ['verify/parse/docker.ts', 'test/**/*.ts'],
    rules: untypedJson,
  },
  {
    // Plain CommonJS run by node directly (jest config, harness helpers started in namespaces).
    files: ['**/*.js', '**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: {
      sourceType: 'commonjs',
      globals: {
        require: 'readonly',
        module: 'writable',
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        __dirname: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
      },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  { files: ['**/*.mjs'], languageOptions: { sourceType: 'module' } },
);
