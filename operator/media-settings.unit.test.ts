import { mediaSettings } from './media-settings.js';

describe("the media nodes' operator settings", () => {
  it('reads the issuer, tolerations and node selector the chart passes', () => {
    expect(mediaSettings({})).toEqual({});
    expect(
      mediaSettings({
        POSBON_CERT_ISSUER: 'ClusterIssuer/letsencrypt',
        POSBON_MEDIA_TOLERATIONS: '[{"key":"dedicated","value":"media","effect":"NoSchedule"},{"key":"gpu","operator":"Exists"}]',
        POSBON_MEDIA_NODE_SELECTOR: '{"posbon.io/pool":"media"}',
      }),
    ).toEqual({
      certificateIssuer: { name: 'letsencrypt', kind: 'ClusterIssuer', group: 'cert-manager.io' },
      tolerations: [
        { key: 'dedicated', operator: 'Equal', value: 'media', effect: 'NoSchedule' },
        { key: 'gpu', operator: 'Exists' },
      ],
      nodeSelector: { 'posbon.io/pool': 'media' },
    });
  });

  it('refuses a malformed setting in one line naming it', () => {
    expect(() => mediaSettings({ POSBON_CERT_ISSUER: 'letsencrypt' })).toThrow('POSBON_CERT_ISSUER must be ClusterIssuer/<name> or Issuer/<name>');
    expect(() => mediaSettings({ POSBON_MEDIA_TOLERATIONS: '[{"key":"a","effect":"Never"}]' })).toThrow(/^POSBON_MEDIA_TOLERATIONS: 0\.effect /);
    expect(() => mediaSettings({ POSBON_MEDIA_NODE_SELECTOR: '{' })).toThrow('POSBON_MEDIA_NODE_SELECTOR must be JSON');
  });
});
