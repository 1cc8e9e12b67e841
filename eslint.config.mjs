// eslint with typescript-eslint's recommended rules, run by `make lint` (part of `make test`).
// Formatting is Prettier's (`make format`); eslint checks what a formatter cannot.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const nodeGlobals = Object.fromEntries(
  [
    'process',
    'console',
    'Buffer',
    'URL',
    'URLSearchParams',
    'setTimeout',
    'clearTimeout',
    'setInterval',
    'clearInterval',
    'setImmediate',
    '__dirname',
    'performance',
    'TextEncoder',
    'TextDecoder',
    'structuredClone',
    'AbortController',
    'AbortSignal',
    'fetch',
    'queueMicrotask',
  ].map((name) => [name, 'readonly']),
);

export default tseslint.config(
  {
    ignores: [
      '**/.venv/**',
      'dist/**',
      'node_modules/**',
      '.tools/**',
      '.e2e/**',
      'images/**',
      'spark-warehouse/**',
      'tests/golden/**',
      '.cache/**',
      '.worked-example-*/**',
      '.docs-pages-*/**',
      '.cdk8s.out/**',
      '.dist.*/**',
      'cdk8s.out/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: nodeGlobals },
    rules: {
      // Error messages are matched with their indentation spelled out: two spaces read as two spaces.
      'no-regex-spaces': 'off',
      // No line over Prettier's width: Prettier cannot break a long string, comment or regex, so this rule does.
      // Break a string by joining parts ('…' + '…'), a regex by joining sources (new RegExp(/…/.source + /…/.source)).
      'max-len': ['error', { code: 120, tabWidth: 2 }],
      // A leading underscore marks a value left unused on purpose (a dropped tuple member, an unused parameter).
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
    },
  },
  {
    // The fixtures keep their layout, as Prettier leaves them: one bad-input case per line, however long, and the
    // error for each points at its file:line (tests/bad-input.test.ts).
    files: ['tests/fixtures/**'],
    rules: { 'max-len': 'off' },
  },
  {
    // Tests read parsed YAML and JSON of many shapes; product code keeps its types.
    files: ['tests/**', 'bench/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
