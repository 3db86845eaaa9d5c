export * from './plan.schema';
export * from './plan.parser';
export * from './plan.resolver';
export * from './plan.graph';
