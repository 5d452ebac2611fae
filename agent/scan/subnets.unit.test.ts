import { hostsOf, planScan, prefixOf, type InterfaceAddress } from './subnets.js';

const iface = (address: string, prefix: number, name = 'eth0'): InterfaceAddress => ({ name, address, prefix, family: 'IPv4', internal: false });
const loopback: InterfaceAddress = { name: 'lo', address: '127.0.0.1', prefix: 8, family: 'IPv4', internal: true };

describe('planScan', () => {
  it('scans the private on-link subnets of a LAN machine, each /22 or smaller', () => {
    expect(planScan([loopback, iface('192.168.1.23', 24), iface('10.20.4.7', 22, 'wlan0')], true)).toEqual({
      lan: true,
      subnets: [
        { cidr: '192.168.1.0/24', network: 3232235776, prefix: 24, interface: 'eth0', self: '192.168.1.23' },
        { cidr: '10.20.4.0/22', network: 169083904, prefix: 22, interface: 'wlan0', self: '10.20.4.7' },
      ],
      refused: [],
    });
  });

  it('refuses a /16 LAN unless a smaller on-link part is named', () => {
    expect(planScan([iface('10.8.3.9', 16)], true)).toEqual({
      lan: true,
      subnets: [],
      refused: [{ cidr: '10.8.0.0/16', reason: 'larger than /22: name a smaller on-link subnet with --subnet' }],
    });
    expect(planScan([iface('10.8.3.9', 16)], true, ['10.8.3.0/24'])).toMatchObject({ lan: true, subnets: [{ cidr: '10.8.3.0/24' }], refused: [] });
  });

  it('refuses public ranges and subnets the machine is not on', () => {
    expect(planScan([iface('192.168.1.23', 24)], true, ['8.8.8.0/24', '192.168.7.0/24']).refused).toEqual([
      { cidr: '8.8.8.0/24', reason: 'not a private range (10/8, 172.16/12, 192.168/16): the scan never touches public addresses' },
      { cidr: '192.168.7.0/24', reason: 'not on-link: no interface of this machine is on that subnet' },
    ]);
  });

  it('says the machine is not on a LAN without a private address or a gateway', () => {
    expect(planScan([loopback, iface('203.0.113.5', 24)], true)).toEqual({ lan: false, reason: 'no private IPv4 address on any interface: this machine is not on a school LAN', refused: [] });
    expect(planScan([iface('192.168.1.23', 24)], false)).toEqual({ lan: false, reason: 'no default gateway: this machine is not on a routed LAN', refused: [] });
  });
});

describe('hostsOf and prefixOf', () => {
  it('lists host addresses without network and broadcast', () => {
    const hosts = hostsOf({ network: 3232235776, prefix: 24 });
    expect([hosts.length, hosts[0], hosts[253]]).toEqual([254, '192.168.1.1', '192.168.1.254']);
    expect(prefixOf('255.255.252.0')).toBe(22);
  });
});
