export * from './real-services';
export * from './broker-harness';
export * from './fakes';
export * from './manifest-builders';
export * from './fakes-deploy';
export * from './fakes-federation';
export * from './fakes-protection';
