export * from './errors';
export * from './types';
export * from './alarm-schema';
export * from './parse';
export * from './policy';
export * from './classify';
export * from './route';
