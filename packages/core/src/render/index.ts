export * from './escape';
export * from './links';
export * from './format';
export * from './slack';
export * from './email';
export * from './pagerduty';
