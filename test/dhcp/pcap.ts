/** The pcap reader moved to `lab/pcap.ts` (the fuzzer seeds its corpus with it too). */
export { bootCaptures, readPcapDhcp, readPcapUdp, type CapturedDatagram } from '../../lab/pcap.js';
