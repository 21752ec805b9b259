/**
 * Environment defaults of local mode. Call before the handlers are imported: Powertools reads its
 * settings when the logger and metrics are created.
 */
export function applyLocalEnvDefaults(opts: { verbose?: boolean } = {}): void {
  process.env.POWERTOOLS_LOG_LEVEL ||= opts.verbose ? 'INFO' : 'WARN';
  process.env.POWERTOOLS_METRICS_DISABLED ||= 'true';
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ||= 'true';
}
