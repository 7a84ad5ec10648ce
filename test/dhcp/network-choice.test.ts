/** `chooseNetwork`: which local network a request is on, and which address answers it. */
import { describe, expect, it } from 'vitest';
import { chooseNetwork, type LocalNetwork } from '../../src/dhcp/networks.js';
import type { Subnet } from '../../src/dhcp/subnets.js';

const network = (name: string, serverAddress: string, ifindex: number): LocalNetwork => ({ subnet: { name } as Subnet, serverAddress, ifindex });
const A = network('10.209.0.0/24', '10.209.0.1', 4);
const B = network('10.210.0.0/24', '10.210.0.1', 7);
const broadcastOn = (ifindex: number) => ({ ifindex, destination: '255.255.255.255' });

describe('chooseNetwork', () => {
  it.each([
    ['a broadcast on A’s interface', [A, B], '0.0.0.0', broadcastOn(4), A.subnet.name, '10.209.0.1'],
    ['a broadcast on B’s interface', [A, B], '0.0.0.0', broadcastOn(7), B.subnet.name, '10.210.0.1'],
    ['a unicast to B’s address arriving elsewhere', [A, B], '0.0.0.0', { ifindex: 9, destination: '10.210.0.1' }, B.subnet.name, '10.210.0.1'],
    ['one network: every direct request, whatever the interface', [A], '0.0.0.0', broadcastOn(9), A.subnet.name, '10.209.0.1'],
    ['one network, node:dgram (no arrival facts)', [A], '0.0.0.0', null, A.subnet.name, '10.209.0.1'],
    ['relayed to B’s address: placed by giaddr, answered from B', [A, B], '10.210.8.1', { ifindex: 7, destination: '10.210.0.1' }, undefined, '10.210.0.1'],
    ['relayed to an address of no network: server.address', [A, B], '10.210.8.1', { ifindex: 7, destination: '10.99.0.1' }, undefined, '10.209.0.1'],
    ['no local network (relays only)', [], '0.0.0.0', broadcastOn(7), undefined, '10.209.0.1'],
  ] as const)('%s', (_, networks, giaddr, arrival, subnet, serverAddress) => {
    const choice = chooseNetwork(networks, '10.209.0.1', giaddr, arrival);
    expect(choice.ok && { subnet: choice.network?.subnet.name, serverAddress: choice.serverAddress }).toEqual({ subnet, serverAddress });
  });

  it('drops a broadcast on an interface that carries no network, and says so', () => {
    const choice = chooseNetwork([A, B], '10.209.0.1', '0.0.0.0', broadcastOn(9));
    expect(choice).toEqual({ ok: false, reason: 'arrived on interface #9, which carries none of the configured networks' });
    expect(chooseNetwork([A, B], '10.209.0.1', '0.0.0.0', null).ok).toBe(false);
  });
});
