/** Digest maths and the digest / dashboard renderers (one export line in core/index.ts). */
export * from '../digest';
export * from './digest';
export * from './digest-chart';
export * from './dashboard';
export * from './dashboard-chart';
