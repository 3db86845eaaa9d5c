export * from './dag.graph';
