// Runs the `onvif` package's WS-Discovery probe (multicast to 239.255.255.250:3702) and prints what answered, as JSON.
import onvif from 'onvif';

onvif.Discovery.probe({ timeout: Number(process.env.POSBON_DISCOVERY_TIMEOUT_MS ?? 1500), resolve: false }, (err, devices) => {
  const found = (devices ?? []) as { probeMatches?: { probeMatch?: { XAddrs?: string; types?: string } } }[];
  console.log(JSON.stringify({ errors: err ? String(err) : null, xaddrs: found.map((d) => d.probeMatches?.probeMatch?.XAddrs) }));
});
