export * from './gateway.client';
export * from './gateway.errors';
