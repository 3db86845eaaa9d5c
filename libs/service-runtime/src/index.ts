export * from './service.logger';
export * from './service.settings';
export * from './bus.provider';
export * from './service.lifecycle';
