import { routerGuidance } from './guidance.js';

describe('routerGuidance', () => {
  it('names one public port per service of each picked device, and only the media node egress IPs', () => {
    expect(
      routerGuidance(
        [
          { ip: '192.168.1.64', rtspPort: 554, onvifPort: 80 },
          { ip: '192.168.1.65', rtspPort: 8554, onvifPort: null },
        ],
        ['198.51.100.11', '198.51.100.10'],
      ),
    ).toEqual({
      forwards: [
        { publicPort: 20001, lanHost: '192.168.1.64', lanPort: 554, protocol: 'TCP', what: 'rtsp' },
        { publicPort: 20002, lanHost: '192.168.1.64', lanPort: 80, protocol: 'TCP', what: 'onvif' },
        { publicPort: 20011, lanHost: '192.168.1.65', lanPort: 8554, protocol: 'TCP', what: 'rtsp' },
      ],
      allowFrom: ['198.51.100.10', '198.51.100.11'],
    });
  });
});
