// Hetzner Cloud cannot be reached here, so Pulumi's runtime mocks stand in at the provider boundary: every resource
// registration is recorded with its inputs and options, ids and addresses are handed out stably across runs.
import * as pulumi from '@pulumi/pulumi';

const SIG_KEY = '4dabf18193072939515e22adb298388d';
const SECRET_SIG = '1b47061264138c4ac30d75fd1eb44270';

/** A secret input as the engine receives it: marked, so that the state keeps it encrypted. */
export interface SecretValue {
  secret: unknown;
}

export interface Registration {
  type: string;
  name: string;
  /** Inputs as sent to the provider; secret values appear as `{ secret: value }`. */
  inputs: Record<string, unknown>;
  protect: boolean;
  deleteBeforeReplace: boolean;
  replaceOnChanges: string[];
  ignoreChanges: string[];
  /** Names (type::name) of the resources it depends on. */
  dependsOn: string[];
}

const marked = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(marked);
  if (value === null || typeof value !== 'object') return value;
  const o = value as Record<string, unknown>;
  if (o[SIG_KEY] === SECRET_SIG) return { secret: marked(o.value) } satisfies SecretValue;
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, marked(v)]));
};

const shortName = (urn: string): string => {
  const parts = urn.split('::');
  return `${parts[2]!.split('$').pop()!}::${parts[3]!}`;
};

/** Addresses and ids by resource name: the same name gets the same values in every run of one test file. */
export class FakeHetzner {
  private readonly ids = new Map<string, number>();
  private readonly ipv4 = new Map<string, string>();
  private readonly ipv6 = new Map<string, string>();

  /** The id the fake Hetzner gave a resource, by `type::name`. */
  idOf(key: string): number {
    if (!this.ids.has(key)) this.ids.set(key, 1000 + this.ids.size);
    return this.ids.get(key)!;
  }

  private state(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> {
    if (type !== 'hcloud:index/primaryIp:PrimaryIp') return inputs;
    if (inputs.type === 'ipv4') {
      if (!this.ipv4.has(name)) this.ipv4.set(name, `198.51.100.${this.ipv4.size + 1}`);
      return { ...inputs, ipAddress: this.ipv4.get(name) };
    }
    // As the provider reports a Primary IPv6: its /64, with the network address as `ipAddress`.
    if (!this.ipv6.has(name)) this.ipv6.set(name, `2001:db8:${(this.ipv6.size + 1).toString(16)}::`);
    const network = this.ipv6.get(name)!;
    return { ...inputs, ipAddress: network, ipNetwork: `${network}/64` };
  }

  /**
   * Runs a program against fresh mocks with the given stack config and returns every registration by
   * `type::name`, after all of them reached the engine.
   */
  async run<T>(
    config: Record<string, string>,
    program: () => Promise<T>,
    settle: (result: T) => Promise<unknown>,
  ): Promise<Map<string, Registration>> {
    const registrations = new Map<string, Registration>();
    await pulumi.runtime.setMocks(
      {
        newResource: (args) => ({
          id: String(this.idOf(`${args.type}::${args.name}`)),
          state: this.state(args.type, args.name, args.inputs as Record<string, unknown>),
        }),
        call: (args) => args.inputs as Record<string, unknown>,
      },
      'posbon-media',
      'test',
      false,
    );
    // The mock monitor passes inputs on but not options; read those from the request itself.
    const monitor = pulumi.runtime.getMonitor() as unknown as {
      registerResource(req: RegisterRequest, cb: unknown): unknown;
    };
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, cb) => {
      const type = req.getType();
      const name = req.getName();
      registrations.set(`${type}::${name}`, {
        type,
        name,
        inputs: marked(req.getObject()?.toJavaScript() ?? {}) as Record<string, unknown>,
        protect: req.getProtect() ?? false,
        deleteBeforeReplace: req.getDeletebeforereplace(),
        replaceOnChanges: req.getReplaceonchangesList(),
        ignoreChanges: req.getIgnorechangesList(),
        dependsOn: [...new Set(req.getDependenciesList().map(shortName))].sort(),
      });
      return register(req, cb);
    };
    pulumi.runtime.setAllConfig(Object.fromEntries(Object.entries(config).map(([k, v]) => [`posbon-media:${k}`, v])), [
      'posbon-media:joinToken',
    ]);
    await settle(await program());
    await pulumi.runtime.disconnect();
    return registrations;
  }
}

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getObject(): { toJavaScript(): Record<string, unknown> } | undefined;
  getProtect(): boolean | undefined;
  getDeletebeforereplace(): boolean;
  getReplaceonchangesList(): string[];
  getIgnorechangesList(): string[];
  getDependenciesList(): string[];
}

/** An output's value, once known. */
export const valueOf = <T>(output: pulumi.Output<T>): Promise<T> =>
  new Promise((resolve) => output.apply((v) => resolve(v)));
