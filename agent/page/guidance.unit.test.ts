import { DEFAULT_PROBE_PORTS } from '../../operator/probe/bounds.js';
import { PUBLIC_PORTS, routerGuidance } from './guidance.js';

describe('routerGuidance', () => {
  it('names one public port per service of each picked device, and only the media node egress IPs', () => {
    expect(
      routerGuidance(
        [
          { ip: '192.168.1.64', rtspPort: 554, onvifPort: 80 },
          { ip: '192.168.1.65', rtspPort: 8554, onvifPort: null },
          { ip: '192.168.1.66', rtspPort: null, onvifPort: 8000 },
        ],
        ['198.51.100.11', '198.51.100.10'],
      ),
    ).toEqual({
      forwards: [
        { publicPort: 554, lanHost: '192.168.1.64', lanPort: 554, protocol: 'TCP', what: 'rtsp' },
        { publicPort: 8080, lanHost: '192.168.1.64', lanPort: 80, protocol: 'TCP', what: 'onvif' },
        { publicPort: 8554, lanHost: '192.168.1.65', lanPort: 8554, protocol: 'TCP', what: 'rtsp' },
        { publicPort: 8081, lanHost: '192.168.1.66', lanPort: 8000, protocol: 'TCP', what: 'onvif' },
      ],
      allowFrom: ['198.51.100.10', '198.51.100.11'],
      unplaced: [],
    });
  });

  it('hands out only ports the media node\'s probe may test, and names the devices left over', () => {
    const devices = [1, 2, 3, 4].map((n) => ({ ip: `10.0.0.${n}`, rtspPort: 554, onvifPort: 80 }));
    const guidance = routerGuidance(devices, []);
    expect(guidance.unplaced).toEqual(['10.0.0.4']);
    expect(guidance.forwards.map((f) => f.publicPort)).toEqual([554, 8080, 8554, 8081, 10554, 8899]);
    expect([...PUBLIC_PORTS.rtsp, ...PUBLIC_PORTS.onvif].filter((p) => !DEFAULT_PROBE_PORTS.includes(p))).toEqual([]);
  });
});
