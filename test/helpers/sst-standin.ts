/**
 * A minimal stand-in for the globals SST gives sst.config.ts and the stacks (`sst`, `aws`, `$app`,
 * `$config`, `$interpolate`, `$jsonStringify`), so the stack modules can be evaluated in a plain unit
 * test: no .sst/platform, no Pulumi engine, no AWS. Every component constructed is recorded with its
 * arguments (and every `subscribe`/`route` call), which is what the wiring test asserts on.
 *
 * Outputs are plain token strings such as `<Incidents.name>` or `<secret:SmtpUrl>`, so a test can
 * see which resource an argument refers to. Only the components the stacks use are stood in; any
 * other `sst.aws.X` throws, so a new component shows up here first. The argument shapes are checked
 * against the real SST types by `npm run typecheck:infra`, not here.
 */

export interface Recorded {
  /** `sst.aws.Function`, `aws.cloudwatch.MetricAlarm`, ... */
  kind: string;
  name: string;
  args: any;
  /** Method calls on the component: `subscribe`, `route`. */
  calls: { method: string; args: any[] }[];
  /** The object the code got back. */
  instance: any;
}

export interface StandIn {
  resources: Recorded[];
  /** Records of one kind, optionally by name. */
  all(kind: string): Recorded[];
  one(kind: string, name: string): Recorded;
  /** The record whose instance is `instance` (e.g. an entry of a `link` array). */
  of(instance: unknown): Recorded | undefined;
  restore(): void;
}

const GLOBALS = ['sst', 'aws', '$app', '$config', '$interpolate', '$jsonStringify', '$util'] as const;

/** Attributes a stack may read off a component: each becomes a token naming the resource. */
const ATTRIBUTES = ['arn', 'name', 'id', 'url'] as const;

function tokens(target: Record<string, unknown>, name: string): void {
  for (const attr of ATTRIBUTES) target[attr] = `<${name}.${attr}>`;
}

export function installStandIn(app: { stage: string; name?: string }): StandIn {
  const resources: Recorded[] = [];
  const saved = new Map<string, PropertyDescriptor | undefined>();
  for (const g of GLOBALS) saved.set(g, Object.getOwnPropertyDescriptor(globalThis, g));

  function component(kind: string, methods: Record<string, (rec: Recorded, ...args: any[]) => unknown> = {}) {
    return class {
      constructor(name: string, args?: any) {
        if (typeof name !== 'string' || !name) throw new Error(`${kind}: a component needs a name`);
        if (resources.some((r) => r.kind === kind && r.name === name)) throw new Error(`${kind} "${name}" constructed twice (duplicate URN)`);
        const rec: Recorded = { kind, name, args: args ?? {}, calls: [], instance: this };
        tokens(this as unknown as Record<string, unknown>, name);
        for (const [method, impl] of Object.entries(methods)) {
          (this as any)[method] = (...a: any[]) => {
            rec.calls.push({ method, args: a });
            return impl(rec, ...a);
          };
        }
        resources.push(rec);
      }
    };
  }

  class Secret {
    readonly name: string;
    readonly value: string;
    constructor(name: string, placeholder?: string) {
      this.name = name;
      this.value = `<secret:${name}>`;
      resources.push({ kind: 'sst.Secret', name, args: { placeholder }, calls: [], instance: this });
    }
  }

  const sstAws: Record<string, unknown> = {
    Function: component('sst.aws.Function'),
    Dynamo: component('sst.aws.Dynamo'),
    SnsTopic: component('sst.aws.SnsTopic', { subscribe: (rec, name: string) => `<${rec.name}.${name}.subscription>` }),
    ApiGatewayV2: component('sst.aws.ApiGatewayV2', { route: (rec, key: string) => `<${rec.name}.route ${key}>` }),
    Cron: component('sst.aws.Cron'),
    CronV2: component('sst.aws.CronV2'),
    Queue: component('sst.aws.Queue'),
  };
  const strictNamespace = (path: string, members: Record<string, unknown>) =>
    new Proxy(members, {
      get(target, prop) {
        if (typeof prop === 'symbol' || prop in target) return (target as any)[prop];
        throw new Error(`sst stand-in: ${path}.${prop} is not stood in (add it to test/helpers/sst-standin.ts)`);
      },
    });

  /** `aws.<service>.<Resource>` classes and the two data sources the stacks call. */
  const awsServices = new Map<string, Record<string, unknown>>();
  const awsNs = new Proxy(
    {
      getCallerIdentityOutput: () => ({ accountId: '<account>' }),
      getRegionOutput: () => ({ region: '<region>' }),
    } as Record<string, unknown>,
    {
      get(target, service) {
        if (typeof service === 'symbol') return undefined;
        if (service in target) return target[service];
        let ns = awsServices.get(service);
        if (!ns) {
          const classes = new Map<string, unknown>();
          ns = new Proxy({} as Record<string, unknown>, {
            get(_t, cls) {
              if (typeof cls === 'symbol') return undefined;
              if (!/^[A-Z]/.test(cls)) throw new Error(`sst stand-in: aws.${service}.${cls} is not stood in`);
              if (!classes.has(cls)) classes.set(cls, component(`aws.${service}.${cls}`));
              return classes.get(cls);
            },
          });
          awsServices.set(service, ns);
        }
        return ns;
      },
    },
  );

  const values: Record<(typeof GLOBALS)[number], unknown> = {
    sst: strictNamespace('sst', { Secret, aws: strictNamespace('sst.aws', sstAws) }),
    aws: awsNs,
    $app: Object.freeze({
      name: app.name ?? 'alert-router',
      stage: app.stage,
      removal: app.stage === 'production' ? 'retain' : 'remove',
      protect: app.stage === 'production',
      providers: {},
    }),
    $config: (input: unknown) => input,
    $interpolate: (strings: TemplateStringsArray, ...parts: unknown[]) =>
      strings.reduce((acc, s, i) => acc + s + (i < parts.length ? String(parts[i]) : ''), ''),
    $jsonStringify: (v: unknown) => JSON.stringify(v),
    // `$util.output(x).apply(f)`: values here are plain, so apply runs at once.
    $util: { output: (v: unknown) => ({ apply: (f: (x: unknown) => unknown) => f(v) }) },
  };
  for (const g of GLOBALS) Object.defineProperty(globalThis, g, { value: values[g], configurable: true, writable: true });

  return {
    resources,
    all: (kind) => resources.filter((r) => r.kind === kind),
    one(kind, name) {
      const found = resources.filter((r) => r.kind === kind && r.name === name);
      if (found.length !== 1)
        throw new Error(
          `expected one ${kind} "${name}", found ${found.length} (have: ${
            resources
              .filter((r) => r.kind === kind)
              .map((r) => r.name)
              .join(', ') || 'none'
          })`,
        );
      return found[0];
    },
    of: (instance) => resources.find((r) => r.instance === instance),
    restore() {
      for (const g of GLOBALS) {
        const d = saved.get(g);
        if (d) Object.defineProperty(globalThis, g, d);
        else delete (globalThis as Record<string, unknown>)[g];
      }
    },
  };
}
