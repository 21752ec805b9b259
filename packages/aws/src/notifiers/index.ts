export * from './channels';
export * from './email';
export * from './http';
export * from './mailer';
export * from './outbox';
export * from './pagerduty';
export * from './retry';
export * from './slack';
