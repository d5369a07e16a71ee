// Two projects: fast unit tests next to the code (*.spec.ts), and e2e tests in test/ (*.e2e-spec.ts)
// that run against real PostgreSQL and Kafka started by `npm run services:up`.
const moduleNameMapper = {
  '^@reservoir/domain/(.*)$': '<rootDir>/libs/domain/$1',
  '^@reservoir/application/(.*)$': '<rootDir>/libs/application/$1',
  '^@reservoir/adapters/(.*)$': '<rootDir>/libs/adapters/$1',
  '^@reservoir/config$': '<rootDir>/libs/config',
  '^@reservoir/testing$': '<rootDir>/libs/testing',
  '^@reservoir/testing/(.*)$': '<rootDir>/libs/testing/$1',
};
const common = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': 'ts-jest' },
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper,
};
module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs}/**/*.spec.ts'] },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'], setupFilesAfterEnv: ['<rootDir>/test/e2e-setup.ts'] },
  ],
};
