export * from './router';
export * from './server';
export * from './dynalite';
export * from './demo';
export * from './lambda-events';
export * from './handlers';
export * from './scheduler';
export * from './local-env';
