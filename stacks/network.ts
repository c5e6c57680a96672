/**
 * LabNetwork: the libvirt network of a lab. Addresses are static (cloud-init / kernel `ip=`),
 * so libvirt's DHCP stays off; its dnsmasq still answers DNS on the gateway address.
 */
import { Construct, LibvirtNetwork } from './cdk';
import { ipToInt, parseCidr, type Lab } from './lab';
import { bridgeName } from './names';

export interface LabNetworkProps {
  readonly lab: Lab;
  /** Bridge device name; default `names.bridgeName(lab)` (`swl-<8 hex>`, unique per lab name). */
  readonly bridge?: string;
  /** Start the network when libvirtd starts; default false (a lab is started on demand). */
  readonly autostart?: boolean;
}

function intToIp(v: number): string {
  return [24, 16, 8, 0].map((s) => (v >>> s) & 255).join('.');
}

/** The address libvirt gives the bridge for `cidr`: the first host address. */
export function libvirtDefaultGateway(cidr: string): string {
  const c = parseCidr(cidr);
  if (!c) throw new Error(`network.cidr ${cidr} is not an IPv4 CIDR`);
  return intToIp(c.base + 1);
}

/**
 * The provider always gives the bridge the CIDR's first host address; when the lab's gateway is
 * another address, an XSLT rewrites the IPv4 `<ip address>` before libvirt defines the network.
 */
export function gatewayXslt(gateway: string): string {
  return `<?xml version="1.0"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:output omit-xml-declaration="yes" indent="yes"/>
  <xsl:template match="node()|@*"><xsl:copy><xsl:apply-templates select="node()|@*"/></xsl:copy></xsl:template>
  <xsl:template match="/network/ip[not(@family) or @family='ipv4']/@address"><xsl:attribute name="address">${gateway}</xsl:attribute></xsl:template>
</xsl:stylesheet>
`;
}

export class LabNetwork extends Construct {
  readonly network: LibvirtNetwork;
  readonly bridge: string;

  constructor(scope: Construct, id: string, props: LabNetworkProps) {
    super(scope, id);
    const { lab } = props;
    const n = lab.network;
    this.bridge = props.bridge ?? bridgeName(lab);
    const needXslt = ipToInt(n.gateway) !== ipToInt(libvirtDefaultGateway(n.cidr));
    this.network = new LibvirtNetwork(this, 'net', {
      name: n.name,
      // isolated: guests, the host bridge and nothing else; nat: plus masqueraded egress.
      mode: n.mode === 'nat' ? 'nat' : 'none',
      bridge: this.bridge,
      addresses: [n.cidr],
      autostart: props.autostart ?? false,
      dhcp: { enabled: false },
      dns: { enabled: true, localOnly: false },
      ...(needXslt ? { xml: { xslt: gatewayXslt(n.gateway) } } : {}),
    });
  }
}
