export * from './system.harness';
export * from './origin.repository';
