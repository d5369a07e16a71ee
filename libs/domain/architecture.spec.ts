import { ESLint } from 'eslint';
import { join } from 'node:path';

/**
 * The one-way import rule (shared/STYLE.md) is enforced by eslint.config.mjs and fails CI through `npm run lint`.
 * These cases prove the rule really bites: a domain file that reaches for a framework, I/O, the clock, the
 * environment or random ids is an error; the same code outside libs/domain is not.
 */
describe('architecture lint rules', () => {
  const eslint = new ESLint({ cwd: join(__dirname, '..', '..') });
  const lint = async (filePath: string, code: string) => {
    const [result] = await eslint.lintText(code, { filePath });
    return (result?.messages ?? []).map((m) => m.ruleId);
  };

  it.each([
    ['Nest', "import { Injectable } from '@nestjs/common';\nexport const x = Injectable;", 'no-restricted-imports'],
    ['TypeORM', "import { DataSource } from 'typeorm';\nexport const x = DataSource;", 'no-restricted-imports'],
    ['kafkajs', "import { Kafka } from 'kafkajs';\nexport const x = Kafka;", 'no-restricted-imports'],
    ['file I/O', "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;", 'no-restricted-imports'],
    ['an adapter', "import { openDataSource } from '@reservoir/adapters/postgres/data-source';\nexport const x = openDataSource;", 'no-restricted-imports'],
    ['the clock', 'export const now = Date.now();', 'no-restricted-properties'],
    ['the environment', 'export const env = process.env.HOME;', 'no-restricted-properties'],
  ])('rejects %s in libs/domain', async (_label, code, rule) => {
    expect(await lint('libs/domain/manifest/leak.ts', code)).toContain(rule);
  });

  it('allows the same imports at the edge', async () => {
    expect(await lint('libs/adapters/kafka/ok.ts', "import { Kafka } from 'kafkajs';\nexport const x = Kafka;")).toEqual([]);
  });

  it('keeps use cases free of frameworks and adapters', async () => {
    expect(await lint('libs/application/services/leak.ts', "import { Injectable } from '@nestjs/common';\nexport const x = Injectable;")).toContain(
      'no-restricted-imports',
    );
  });
});
