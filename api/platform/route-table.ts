// Path templates (`/schools/:schoolId/nvrs/:name`) matched by segment, indexed by method and segment count: a
// request looks at the few routes of its shape, in declaration order, instead of testing every route's pattern.
import { InputError } from '../../lib/errors/index.js';

export interface TemplatedRoute {
  /** Lower case, as Express names methods: `get`, `post`. */
  method: string;
  /** Literal segments and `:name` parameters. */
  path: string;
}

export interface RouteMatch<R> {
  route: R;
  /** The parameters, percent-decoded. */
  params: Record<string, string>;
}

interface Compiled<R> {
  route: R;
  /** Each segment: a literal (lower case) or a parameter's name. */
  segments: { literal?: string; param?: string }[];
}

export class RouteTable<R extends TemplatedRoute> {
  private readonly byShape = new Map<string, Compiled<R>[]>();

  constructor(routes: readonly R[]) {
    for (const route of routes) {
      const segments = route.path
        .split('/')
        .slice(1)
        .map((s) => (s.startsWith(':') ? { param: s.slice(1) } : { literal: s.toLowerCase() }));
      const shape = `${route.method} ${segments.length}`;
      const list = this.byShape.get(shape) ?? [];
      list.push({ route, segments });
      this.byShape.set(shape, list);
    }
  }

  /**
   * The first route, in declaration order, whose template the path fits: literals in any case, parameters
   * non-empty, one trailing slash allowed. HEAD finds GET routes. A parameter that is not valid percent-encoding
   * is a 400 naming it.
   */
  find(method: string, path: string): RouteMatch<R> | undefined {
    const segments = path.split('/').slice(1);
    if (segments.length > 1 && segments[segments.length - 1] === '') segments.pop();
    const verb = method === 'HEAD' ? 'get' : method.toLowerCase();
    for (const candidate of this.byShape.get(`${verb} ${segments.length}`) ?? []) {
      const params = match(candidate, segments);
      if (params) return { route: candidate.route, params };
    }
    return undefined;
  }
}

function match<R>(candidate: Compiled<R>, segments: string[]): Record<string, string> | undefined {
  for (let i = 0; i < segments.length; i++) {
    const want = candidate.segments[i]!;
    const got = segments[i]!;
    if (want.literal !== undefined ? got.toLowerCase() !== want.literal : got === '') return undefined;
  }
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const name = candidate.segments[i]!.param;
    if (name === undefined) continue;
    try {
      params[name] = decodeURIComponent(segments[i]!);
    } catch {
      throw new InputError(name, 'is not valid percent-encoding');
    }
  }
  return params;
}
