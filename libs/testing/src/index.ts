export * from './infra.testing';
