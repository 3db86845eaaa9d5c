export * from './client';
export * from './plan';
export * from './operations/convoy.operations';
export * from './operations/rig.operations';
export * from './operations/bead.operations';
export * from './operations/agent.operations';
export * from './operations/webhook.operations';
