export * from './dag.graph';
export * from './dag.explain';
