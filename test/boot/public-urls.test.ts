import { describe, expect, it } from 'vitest';
import { networkUrlFor, publicUrlFor, singlePublicUrl, type PublicUrls } from '../../src/boot/public-urls.js';

const urls: PublicUrls = {
  fallback: 'http://10.63.0.1:8080',
  networks: [
    { serverAddress: '10.64.0.1', subnet: '10.64.0.0/24', url: 'http://10.64.0.1:8080' },
    { serverAddress: '10.64.30.1', subnet: '10.64.30.0/24', url: 'https://boot-b.example' },
  ],
};

describe('the public URL a client is told, by its network', () => {
  it.each([
    ['a network\'s server address (DHCP arrival, TFTP serverIp, HTTP localAddress)', '10.64.0.1', 'http://10.64.0.1:8080'],
    ['the other network\'s server address, whose URL is configured', '10.64.30.1', 'https://boot-b.example'],
    ['an address inside a network\'s subnet (a client\'s own)', '10.64.30.77', 'https://boot-b.example'],
    ['an IPv4-mapped address from a dual-stack socket', '::ffff:10.64.0.1', 'http://10.64.0.1:8080'],
    ['server.address: no network of dhcp.networks', '10.63.0.1', 'http://10.63.0.1:8080'],
    ['an address on no network', '192.0.2.1', 'http://10.63.0.1:8080'],
    ['loopback (a local API client)', '127.0.0.1', 'http://10.63.0.1:8080'],
    ['an IPv6 address', '::1', 'http://10.63.0.1:8080'],
    ['no address at all (app.inject)', undefined, 'http://10.63.0.1:8080'],
    ['an empty address', '', 'http://10.63.0.1:8080'],
  ])('%s', (_what, address, expected) => {
    expect(publicUrlFor(urls, address)).toBe(expected);
  });

  it('a server address wins over a subnet that also holds it', () => {
    const overlapping = [
      { serverAddress: '10.64.0.1', subnet: '10.64.0.0/16', url: 'http://wide' },
      { serverAddress: '10.64.5.1', url: 'http://narrow' },
    ];
    expect(networkUrlFor(overlapping, '10.64.5.1')?.url).toBe('http://narrow');
    expect(networkUrlFor(overlapping, '10.64.5.2')?.url).toBe('http://wide');
  });

  it('one URL for everyone without boot networks', () => {
    const single = singlePublicUrl('http://10.63.0.1:8080');
    for (const address of ['10.64.0.1', '10.63.0.1', undefined]) expect(publicUrlFor(single, address)).toBe('http://10.63.0.1:8080');
  });
});
