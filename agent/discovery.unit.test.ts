import { parseProbeMatch, probeMessage } from './discovery.js';
import { vendorOf } from './inventory.js';

// A ProbeMatches as Hikvision firmware sends it (SOAP-ENV/wsdd prefixes, two XAddrs, percent-encoded scopes).
const HIKVISION = `<?xml version="1.0" encoding="UTF-8"?>
<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope" xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:wsdd="http://schemas.xmlsoap.org/ws/2005/04/discovery">
<env:Header><wsa:MessageID>urn:uuid:aa</wsa:MessageID><wsa:RelatesTo>urn:uuid:bb</wsa:RelatesTo></env:Header>
<env:Body><wsdd:ProbeMatches><wsdd:ProbeMatch>
<wsa:EndpointReference><wsa:Address>urn:uuid:3fa1fe68-b915-4053-a3e1-a8294833fe3c</wsa:Address></wsa:EndpointReference>
<wsdd:Types>dn:NetworkVideoTransmitter tds:Device</wsdd:Types>
<wsdd:Scopes>onvif://www.onvif.org/type/video_encoder onvif://www.onvif.org/name/HIKVISION%20DS-7608NI onvif://www.onvif.org/location/city/hangzhou onvif://www.onvif.org/hardware/DS-7608NI-K2 http://example.org/other</wsdd:Scopes>
<wsdd:XAddrs>http://192.168.1.64/onvif/device_service http://[fe80::1]/onvif/device_service</wsdd:XAddrs>
<wsdd:MetadataVersion>10</wsdd:MetadataVersion>
</wsdd:ProbeMatch></wsdd:ProbeMatches></env:Body></env:Envelope>`;

describe('WS-Discovery', () => {
  it('reads a ProbeMatch whatever the prefixes, with the first HTTP device service as the ONVIF address', () => {
    expect(parseProbeMatch(HIKVISION, '192.168.1.64')).toEqual({
      endpoint: 'urn:uuid:3fa1fe68-b915-4053-a3e1-a8294833fe3c',
      answeredFrom: '192.168.1.64',
      xaddrs: ['http://192.168.1.64/onvif/device_service', 'http://[fe80::1]/onvif/device_service'],
      onvifHost: '192.168.1.64',
      onvifPort: 80,
      scopes: { type: ['video_encoder'], name: ['HIKVISION DS-7608NI'], location: ['city/hangzhou'], hardware: ['DS-7608NI-K2'] },
    });
  });

  it.each([
    ['our own probe, echoed back', probeMessage('x')],
    ['a Hello', HIKVISION.replaceAll('ProbeMatches', 'Hello').replaceAll('ProbeMatch>', 'HelloX>')],
    ['no service address', HIKVISION.replace(/<wsdd:XAddrs>[^<]*<\/wsdd:XAddrs>/, '')],
    ['no endpoint', HIKVISION.replace(/<wsa:Address>[^<]*<\/wsa:Address>/, '')],
    ['not XML', '\u0000\u0001garbage'],
  ])('ignores %s', (_, xml) => {
    expect(parseProbeMatch(xml, '192.168.1.9')).toBeUndefined();
  });

  it('takes the port of an https service address, and of an explicit one', () => {
    const https = HIKVISION.replace(/<wsdd:XAddrs>[^<]*</, '<wsdd:XAddrs>https://10.0.0.5/onvif/device_service<');
    expect(parseProbeMatch(https, '10.0.0.5')).toMatchObject({ onvifHost: '10.0.0.5', onvifPort: 443 });
    const explicit = HIKVISION.replace(/<wsdd:XAddrs>[^<]*</, '<wsdd:XAddrs>http://10.0.0.6:8000/onvif/device_service<');
    expect(parseProbeMatch(explicit, '10.0.0.6')).toMatchObject({ onvifHost: '10.0.0.6', onvifPort: 8000 });
  });

  it('names the vendor from the manufacturer a device reports', () => {
    expect(['HIKVISION', 'Dahua Technology', 'Uniview', 'UNV', 'Axis', undefined].map(vendorOf)).toEqual(['hikvision', 'dahua', 'uniview', 'uniview', 'onvif', 'onvif']);
  });
});
