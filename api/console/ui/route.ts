// Hash routes: the API owns every path (/schools is an API route), so the console's own addresses live after the #.
import { signal } from './state.js';

export interface Route {
  parts: string[];
  query: URLSearchParams;
}

const parse = (): Route => {
  const [path = '', search = ''] = location.hash.replace(/^#/, '').split('?');
  return { parts: path.split('/').filter(Boolean).map(decodeURIComponent), query: new URLSearchParams(search) };
};

export const route = signal<Route>(parse());
addEventListener('hashchange', () => route.set(parse()));

export const href = (path: string, query: Record<string, string | undefined> = {}): string => {
  const search = new URLSearchParams(Object.entries(query).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== '')).toString();
  return `#${path}${search ? `?${search}` : ''}`;
};

export const go = (path: string, query: Record<string, string | undefined> = {}): void => {
  location.hash = href(path, query);
};
