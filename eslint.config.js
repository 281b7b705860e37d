// One flat config for the whole workspace. `npm run lint` runs it with --max-warnings 0.
import js from '@eslint/js';
import globals from 'globals';
import nx from '@nx/eslint-plugin';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

const PROTOCOL_BANNED = [
  '@nestjs/*',
  'typeorm',
  'pg',
  'bullmq',
  'ioredis',
  '@electric-sql/*',
  'express',
  'nestjs-pino',
];

export default tseslint.config(
  { ignores: ['node_modules/**', '**/dist/**', 'coverage/**', '.data/**', '.nx/**', 'tmp/**', 'deploy/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx', '**/*.js'],
    plugins: { '@nx': nx },
    languageOptions: {
      globals: {
        console: 'readonly',
        process: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        URL: 'readonly',
        TextEncoder: 'readonly',
        TextDecoder: 'readonly',
        fetch: 'readonly',
        AbortController: 'readonly',
        AbortSignal: 'readonly',
        structuredClone: 'readonly',
        performance: 'readonly',
        setImmediate: 'readonly',
        queueMicrotask: 'readonly',
        Response: 'readonly',
        Request: 'readonly',
        Headers: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false },
      ],
      'no-console': 'off',
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            // Protocol code is pure: bytes in, bytes out. No framework, no database, no queue.
            {
              sourceTag: 'type:protocol',
              onlyDependOnLibsWithTags: ['type:protocol'],
              bannedExternalImports: PROTOCOL_BANNED,
            },
            { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:util'] },
            {
              sourceTag: 'type:domain',
              onlyDependOnLibsWithTags: ['type:protocol', 'type:util', 'type:domain'],
              bannedExternalImports: PROTOCOL_BANNED,
            },
            {
              sourceTag: 'type:data-access',
              onlyDependOnLibsWithTags: ['type:protocol', 'type:util', 'type:domain', 'type:data-access'],
            },
            {
              sourceTag: 'type:platform',
              onlyDependOnLibsWithTags: [
                'type:protocol',
                'type:util',
                'type:domain',
                'type:data-access',
                'type:platform',
              ],
            },
            {
              sourceTag: 'type:app',
              onlyDependOnLibsWithTags: [
                'type:protocol',
                'type:util',
                'type:domain',
                'type:data-access',
                'type:platform',
              ],
            },
            {
              sourceTag: 'type:cli',
              onlyDependOnLibsWithTags: [
                'type:protocol',
                'type:util',
                'type:domain',
                'type:data-access',
                'type:platform',
                'type:cli',
              ],
            },
            // The web console reaches the service only through its public REST API.
            { sourceTag: 'type:ui', onlyDependOnLibsWithTags: [] },
            { sourceTag: 'type:launcher', onlyDependOnLibsWithTags: ['*'] },
          ],
        },
      ],
    },
  },
  {
    // The web console runs in the browser: browser globals, Preact's JSX.
    files: ['apps/console/**/*.ts', 'apps/console/**/*.tsx'],
    plugins: { '@nx': nx },
    languageOptions: { globals: globals.browser },
  },
  {
    // Decorator-heavy Nest code legitimately imports classes used only as types for DI metadata.
    files: [
      'apps/**/*.ts',
      'libs/platform/**/*.ts',
      'libs/auth/**/*.ts',
      'libs/persistence/**/*.ts',
      'libs/queue/**/*.ts',
      'test/**/*.ts',
    ],
    rules: { '@typescript-eslint/consistent-type-imports': 'off' },
  },
  prettier,
);
