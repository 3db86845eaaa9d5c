export * from './service.logger';
