export * from './convoy.view';
