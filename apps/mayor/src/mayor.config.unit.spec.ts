import { readMayorConfig } from './mayor.config';

describe('the Mayor server configuration', () => {
  it('given only a token, when read, then the gateway defaults to the local one', () => {
    expect(readMayorConfig({ GT_TOKEN: ' gt_abc ' })).toEqual({
      ok: true,
      config: { gatewayUrl: 'http://127.0.0.1:4000/graphql', token: 'gt_abc' },
    });
    expect(readMayorConfig({ GT_TOKEN: 'gt_abc', GATEWAY_PORT: '4100' })).toMatchObject({ config: { gatewayUrl: 'http://127.0.0.1:4100/graphql' } });
  });

  it('given no token and a bad URL, when read, then both variables are named and no value of the token is shown', () => {
    const read = readMayorConfig({ GATEWAY_URL: 'ftp://gateway' });

    expect(read).toEqual({
      ok: false,
      problems: [
        'GATEWAY_URL "ftp://gateway" must be an http:// or https:// URL',
        'GT_TOKEN is not set: give the Mayor the town token that `gt town create` printed (GT_TOKEN=gt_…)',
      ],
    });
    expect(readMayorConfig({ GATEWAY_URL: 'not a url', GT_TOKEN: 'gt_secret' })).toEqual({
      ok: false,
      problems: ['GATEWAY_URL "not a url" is not a URL (expected e.g. http://127.0.0.1:4000/graphql)'],
    });
  });
});
