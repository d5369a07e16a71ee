// Lint rules that guard the architecture (../shared/STYLE.md): imports flow apps -> adapters -> application -> domain.
// libs/domain is pure: no framework, no I/O, no ambient clock, randomness or environment.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const ioModules = [
  '@nestjs/*', 'typeorm', 'typeorm-*', 'kafkajs', 'pg', 'libvirt', '@unraid/libvirt', '@electric-sql/*',
  'express', 'fs', 'node:fs', 'fs/promises', 'node:fs/promises', 'child_process', 'node:child_process',
  'net', 'node:net', 'http', 'node:http', 'crypto', 'node:crypto', 'xmllint-wasm',
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.services/**', '.data/**', 'coverage/**', 'jest.config.js', 'bin/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: false } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { disallowTypeAnnotations: false, fixStyle: 'inline-type-imports' }],
    },
  },
  {
    files: ['libs/domain/**/*.ts'],
    ignores: ['libs/domain/**/*.spec.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ioModules, message: 'libs/domain is pure: no framework or I/O imports (see shared/STYLE.md).' },
          { group: ['@reservoir/application/*', '@reservoir/adapters/*', '@reservoir/config', '**/apps/**', '**/adapters/**', '**/application/**'],
            message: 'libs/domain imports nothing from outer layers.' },
        ],
      }],
      'no-restricted-properties': ['error',
        { object: 'Date', property: 'now', message: 'Pass `now` or a Clock port into domain code.' },
        { object: 'process', property: 'env', message: 'Configuration comes in through libs/config.' },
        { object: 'crypto', property: 'randomUUID', message: 'Ids are inputs to domain code.' },
      ],
      'no-restricted-globals': ['error', { name: 'process', message: 'libs/domain does not touch the process.' }],
    },
  },
  {
    files: ['libs/application/**/*.ts'],
    ignores: ['libs/application/**/*.spec.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['@nestjs/*', 'typeorm', 'kafkajs', 'pg', '@electric-sql/*'], message: 'Use cases get ports through their constructor.' },
          { group: ['@reservoir/adapters/*', '**/apps/**', '**/adapters/**'], message: 'application imports only domain.' },
        ],
      }],
    },
  },
  {
    files: ['libs/adapters/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/apps/**'], message: 'adapters never import apps.' }] }],
    },
  },
);
