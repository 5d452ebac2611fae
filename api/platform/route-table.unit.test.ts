import { RouteTable } from './route-table.js';

describe('a route table', () => {
  const table = new RouteTable([
    { method: 'get', path: '/schools/:schoolId', id: 'school' },
    { method: 'get', path: '/schools/export', id: 'never: declared after the parameter route' },
    { method: 'get', path: '/schools/:schoolId/nvrs/:name', id: 'nvr' },
    { method: 'post', path: '/schools/:schoolId', id: 'post school' },
    { method: 'get', path: '/', id: 'root' },
  ]);
  const found = (method: string, path: string) => {
    const m = table.find(method, path);
    return m && [m.route.id, m.params];
  };

  it('finds the first route of the request’s method and shape, in declaration order, with decoded parameters', () => {
    expect([
      found('GET', '/schools/a%20b'),
      found('GET', '/schools/export'),
      found('HEAD', '/SCHOOLS/x/NVRS/n1/'),
      found('POST', '/schools/x'),
      found('GET', '/'),
      found('DELETE', '/schools/x'),
      found('GET', '/schools'),
      found('GET', '/schools//nvrs/n'),
      found('GET', '/schools/x/nvrs/n/extra'),
    ]).toEqual([
      ['school', { schoolId: 'a b' }],
      ['school', { schoolId: 'export' }],
      ['nvr', { schoolId: 'x', name: 'n1' }],
      ['post school', { schoolId: 'x' }],
      ['root', {}],
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('refuses a parameter that is not valid percent-encoding, naming it', () => {
    expect(() => table.find('GET', '/schools/x/nvrs/%E0%A4%A')).toThrow('name: is not valid percent-encoding');
  });
});
