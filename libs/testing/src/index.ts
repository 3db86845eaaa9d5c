export * from './infra.testing';
export * from './process.testing';
export * from './port.testing';
export * from './nats-server.testing';
export * from './http-receiver.testing';
export * from './git-http.testing';
export * from './legacy-events.testing';
export * from './fork-bomb.testing';
