import { execFileSync } from 'node:child_process';
import { generateKeyPair, linuxRules, proposedTunnel, publicKeyOf, renderLinuxGateway, renderMikroTikGateway, renderWindowsGateway, type GatewayInputs } from './tunnel.js';

const gateway: GatewayInputs = {
  school: 'school-9',
  privateKey: 'YH2OsUx4EdW2g5M7wxUYFlBjxJbUUSoLLhOR48awHGo=',
  address: '10.255.0.7',
  nodeAddress: '10.255.0.1',
  nodePublicKey: 'pH6z6l2i1Xco9ktNuZIJPQuLEFoU7FH6ipTJr3KyBzc=',
  endpoint: '198.51.100.10:51820',
  persistentKeepalive: 25,
  exposed: [{ host: '192.168.10.6', ports: [554] }, { host: '192.168.10.5', ports: [8000, 554] }],
  iface: 'posbon',
  lanInterface: 'eth1',
};

describe('key pairs', () => {
  it('derives the same public key as wg pubkey', () => {
    const pair = generateKeyPair();
    expect(pair.publicKey).toMatch(/^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw480]=$/);
    expect(publicKeyOf(pair.privateKey)).toBe(pair.publicKey);
    expect(execFileSync('wg', ['pubkey'], { input: pair.privateKey }).toString().trim()).toBe(pair.publicKey);
  });

  it('proposes the public key and the exposure, never the private key', () => {
    const pair = generateKeyPair();
    const text = proposedTunnel(pair.publicKey, gateway.exposed);
    expect(text).toBe(`spec:\n  networkMode: tunnel\n  tunnel:\n    publicKey: ${pair.publicKey}\n    expose:\n      - 192.168.10.5\n      - 192.168.10.6\n`);
    expect(text).not.toContain(pair.privateKey);
  });
});

describe('renderLinuxGateway', () => {
  it('dials the node, accepts only the node\'s address, and forwards only the declared NVR ports', () => {
    expect(renderLinuxGateway(gateway)).toBe(
      [
        '# Posbon tunnel of school school-9: the gateway dials the media node; nothing at the school listens.',
        '[Interface]',
        'PrivateKey = YH2OsUx4EdW2g5M7wxUYFlBjxJbUUSoLLhOR48awHGo=',
        'Address = 10.255.0.7/32',
        'PostUp = sysctl -qw net.ipv4.ip_forward=1',
        'PostUp = iptables -N POSBON-TUNNEL',
        'PostUp = iptables -A POSBON-TUNNEL -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT',
        'PostUp = iptables -A POSBON-TUNNEL -s 10.255.0.1 -d 192.168.10.5 -p tcp --dport 554 -j ACCEPT',
        'PostUp = iptables -A POSBON-TUNNEL -s 10.255.0.1 -d 192.168.10.5 -p tcp --dport 8000 -j ACCEPT',
        'PostUp = iptables -A POSBON-TUNNEL -s 10.255.0.1 -d 192.168.10.6 -p tcp --dport 554 -j ACCEPT',
        'PostUp = iptables -A POSBON-TUNNEL -j DROP',
        'PostUp = iptables -I FORWARD -i posbon -j POSBON-TUNNEL',
        'PostUp = iptables -I INPUT -i posbon -m conntrack --ctstate NEW -j DROP',
        'PostUp = iptables -t nat -I POSTROUTING -s 10.255.0.1 -o eth1 -j MASQUERADE',
        'PostDown = iptables -t nat -D POSTROUTING -s 10.255.0.1 -o eth1 -j MASQUERADE',
        'PostDown = iptables -D INPUT -i posbon -m conntrack --ctstate NEW -j DROP',
        'PostDown = iptables -D FORWARD -i posbon -j POSBON-TUNNEL',
        'PostDown = iptables -F POSBON-TUNNEL',
        'PostDown = iptables -X POSBON-TUNNEL',
        '',
        '[Peer]',
        'PublicKey = pH6z6l2i1Xco9ktNuZIJPQuLEFoU7FH6ipTJr3KyBzc=',
        'Endpoint = 198.51.100.10:51820',
        'AllowedIPs = 10.255.0.1/32',
        'PersistentKeepalive = 25',
        '',
      ].join('\n'),
    );
  });

  it('tears down exactly what it set up', () => {
    expect(linuxRules(gateway, 'down')).toHaveLength(5);
  });
});

describe('renderMikroTikGateway', () => {
  it('writes RouterOS commands that admit the node only to the declared NVR ports', () => {
    expect(renderMikroTikGateway(gateway)).toBe(
      [
        '# Posbon tunnel of school school-9 (RouterOS 7)',
        '/interface wireguard add name=posbon private-key="YH2OsUx4EdW2g5M7wxUYFlBjxJbUUSoLLhOR48awHGo=" comment="posbon school-9"',
        '/interface wireguard peers add interface=posbon public-key="pH6z6l2i1Xco9ktNuZIJPQuLEFoU7FH6ipTJr3KyBzc=" endpoint-address=198.51.100.10 endpoint-port=51820 allowed-address=10.255.0.1/32 persistent-keepalive=25s comment="posbon school-9"',
        '/ip address add address=10.255.0.7/32 network=10.255.0.1 interface=posbon comment="posbon school-9"',
        '/ip firewall filter add chain=input in-interface=posbon connection-state=new action=drop place-before=0 comment="posbon school-9"',
        '/ip firewall filter add chain=forward in-interface=posbon action=drop place-before=0 comment="posbon school-9"',
        '/ip firewall filter add chain=forward in-interface=posbon src-address=10.255.0.1 dst-address=192.168.10.5 protocol=tcp dst-port=554,8000 action=accept place-before=0 comment="posbon school-9"',
        '/ip firewall filter add chain=forward in-interface=posbon src-address=10.255.0.1 dst-address=192.168.10.6 protocol=tcp dst-port=554 action=accept place-before=0 comment="posbon school-9"',
        '/ip firewall filter add chain=forward in-interface=posbon connection-state=established,related action=accept place-before=0 comment="posbon school-9"',
        '/ip firewall nat add chain=srcnat src-address=10.255.0.1 action=masquerade comment="posbon school-9"',
        '',
      ].join('\n'),
    );
  });
});

describe('renderWindowsGateway', () => {
  it('writes the tunnel file and a script that says what Windows cannot filter', () => {
    const { conf, script } = renderWindowsGateway(gateway);
    expect(conf.split('\r\n')).toEqual([
      '# Posbon tunnel of school school-9',
      '[Interface]',
      'PrivateKey = YH2OsUx4EdW2g5M7wxUYFlBjxJbUUSoLLhOR48awHGo=',
      'Address = 10.255.0.7/32',
      '',
      '[Peer]',
      'PublicKey = pH6z6l2i1Xco9ktNuZIJPQuLEFoU7FH6ipTJr3KyBzc=',
      'Endpoint = 198.51.100.10:51820',
      'AllowedIPs = 10.255.0.1/32',
      'PersistentKeepalive = 25',
      '',
    ]);
    expect(script).toContain('New-NetNat -Name "posbon-school-9" -InternalIPInterfaceAddressPrefix 10.255.0.1/32');
    expect(script).toContain("Windows' firewall does not filter routed packets");
  });
});
