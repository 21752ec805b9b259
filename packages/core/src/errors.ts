/** Base error of the router: every error carries a stable name and optional context. */
export class RouterError extends Error {
  readonly context: Record<string, unknown>;
  constructor(message: string, options: { cause?: unknown; context?: Record<string, unknown> } = {}) {
    super(message, { cause: options.cause });
    this.name = 'RouterError';
    this.context = options.context ?? {};
  }
}

/** Input that is not one of the accepted shapes; `path` points into the original event. */
export class InputError extends RouterError {
  readonly path: string;
  constructor(path: string, reason: string, options: { cause?: unknown } = {}) {
    super(path ? `${path}: ${reason}` : reason, { ...options, context: { path } });
    this.name = 'InputError';
    this.path = path;
  }
}

/** A policy file that does not validate; the message names the exact key. */
export class PolicyError extends RouterError {
  constructor(message: string, options: { cause?: unknown; context?: Record<string, unknown> } = {}) {
    super(message, options);
    this.name = 'PolicyError';
  }
}

/** Missing or invalid runtime configuration (environment variables). */
export class ConfigError extends RouterError {
  constructor(message: string, options: { cause?: unknown; context?: Record<string, unknown> } = {}) {
    super(message, options);
    this.name = 'ConfigError';
  }
}

/** A channel refused or failed a delivery. `retryable` follows the shared retry rule. */
export class DeliveryError extends RouterError {
  readonly retryable: boolean;
  readonly status?: number;
  readonly retryAfterMs?: number;
  constructor(message: string, options: { retryable: boolean; status?: number; retryAfterMs?: number; cause?: unknown; context?: Record<string, unknown> }) {
    super(message, options);
    this.name = 'DeliveryError';
    this.retryable = options.retryable;
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
  }
}
