export * from './errors';
export * from './types';
export * from './alarm-schema';
export * from './parse';
export * from './policy';
export * from './classify';
export * from './route';
export * from './incident';
export * from './notifier';
export * from './clock';
export * from './business-calendar';
export * from './lifecycle';
export * from './render/index';
export * from './silence';
<<<<<<< HEAD
export * from './silence-release';
=======
export * from './glob';
>>>>>>> i10
export * from './escalation';
export * from './slack-command';
export * from './render/digest-index';
export * from './review';
export * from './hygiene';
export * from './stakeholder';
